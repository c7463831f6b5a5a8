"""Devices against local AWS: provisioning → simulator → MQTT/mTLS → rule → DynamoDB.

Uses the session's MiniStack and the stack that the real `cdk deploy` put there.
"""

from __future__ import annotations

import shutil
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from it_support import Target, device_items

from wio_simulator import DeviceSpec, FleetConfig, FleetResult, run_fleet
from wio_tools.local_aws import LocalAws
from wio_tools.environment import AwsEnvironment
from wio_tools.provision import (
    DeviceCredentials,
    ProvisionError,
    delete_fleet,
    delete_thing,
    provision_fleet,
    provision_thing,
)

pytestmark = [pytest.mark.local_only, pytest.mark.slow]


@pytest.fixture(scope="module")
def local_aws(target: Any) -> LocalAws:
    """The session's MiniStack, with the stack deployed by the real `cdk deploy`."""
    assert target.local is not None
    return target.local


@pytest.fixture(scope="module")
def prov(provision_target: AwsEnvironment) -> AwsEnvironment:
    return provision_target


def _fleet_config(creds: list[DeviceCredentials], **kw: Any) -> FleetConfig:
    first = creds[0]
    opts: dict[str, Any] = dict(
        interval=0.05, count=10, backoff_min=0.2, backoff_base=0.2, backoff_cap=2.0
    )
    opts.update(kw)
    return FleetConfig(
        host=first.mqtt_host,
        port=first.mqtt_port,
        ca_file=str(first.ca_path),
        devices=[DeviceSpec(c.thing_name, str(c.cert_path), str(c.key_path)) for c in creds],
        **opts,
    )


def _stored(target: Target, device_id: str) -> dict[int, dict[str, Any]]:
    return {int(i["timestamp"]): i for i in device_items(target, device_id)}


def _assert_all_stored(target: Target, result: FleetResult, timeout: float = 10.0) -> None:
    expected = result.by_key()
    devices = {d for d, _ in expected}
    deadline = time.monotonic() + timeout
    while True:
        stored = {(d, ts): item for d in devices for ts, item in _stored(target, d).items()}
        if set(expected) <= set(stored) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    missing = set(expected) - set(stored)
    assert (
        not missing
    ), f"{len(missing)} acknowledged readings not stored, e.g. {sorted(missing)[:3]}"
    for key, record in expected.items():
        item = stored[key]
        for field, value in record.values().items():
            got = item[field]
            want = Decimal(str(value)) if isinstance(value, (int, float)) else value
            assert got == want, f"{key} {field}: stored {got!r}, sent {value!r}"
        assert int(item["received_at"]) >= int(record.first_sent_ms) - 1000


def test_single_thing_every_message_acked_and_stored(
    prov: AwsEnvironment, tmp_path: Path, target: Target
) -> None:
    creds = provision_thing("wio-it-01", target=prov, certs_dir=tmp_path)
    assert creds.local and creds.mqtt_host == "127.0.0.1" and creds.ca_path.is_file()
    result = run_fleet(_fleet_config([creds], count=30, seed=11))
    assert result.ok, result.summary_lines()
    assert (result.sent, result.acknowledged, result.failed) == (30, 30, 0)
    assert result.ack_p95_ms > 0
    _assert_all_stored(target, result)
    assert len(_stored(target, "wio-it-01")) == 30  # stored once each


def test_fleet_each_device_own_certificate(
    prov: AwsEnvironment, tmp_path: Path, target: Target
) -> None:
    fleet = provision_fleet(6, fleet_prefix="itfleet", target=prov, certs_dir=tmp_path)
    assert len({c.certificate_id for c in fleet}) == 6
    result = run_fleet(_fleet_config(fleet, count=8, interval=0.1, stagger=0.3))
    assert result.ok and result.connects == 6, result.summary_lines()
    _assert_all_stored(target, result)
    assert delete_fleet("itfleet", target=prov, certs_dir=tmp_path) == 6


def test_provisioning_is_idempotent(prov: AwsEnvironment, tmp_path: Path) -> None:
    first = provision_thing("wio-it-idem", target=prov, certs_dir=tmp_path)
    second = provision_thing("wio-it-idem", target=prov, certs_dir=tmp_path)
    assert second.certificate_id == first.certificate_id and not second.created_certificate


def test_missing_policy_says_stack_not_deployed(prov: AwsEnvironment, tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match="stack not deployed"):
        provision_thing("wio-x", target=prov, prefix="nostack", certs_dir=tmp_path)


def test_provision_round_trip_then_connection_refused(
    local_aws: LocalAws, prov: AwsEnvironment, tmp_path: Path, target: Target
) -> None:
    creds = provision_thing("wio-it-rt", target=prov, certs_dir=tmp_path / "certs")
    kept = tmp_path / "kept"
    shutil.copytree(creds.directory, kept)
    ok = run_fleet(_fleet_config([creds], count=3))
    assert ok.ok
    _assert_all_stored(target, ok)

    assert delete_thing("wio-it-rt", target=prov, certs_dir=tmp_path / "certs")
    assert not creds.directory.exists()
    refused = run_fleet(
        FleetConfig(
            host=creds.mqtt_host,
            port=creds.mqtt_port,
            ca_file=str(kept / creds.ca_path.name),
            devices=[
                DeviceSpec(
                    "wio-it-rt",
                    str(kept / creds.cert_path.name),
                    str(kept / "private.pem.key"),
                )
            ],
            count=1,
            drain_timeout=3.0,
            backoff_min=0.5,
            backoff_base=0.5,
        )
    )
    assert refused.connects == 0 and refused.connect_failures >= 1
    assert refused.acknowledged == 0 and refused.failed == 1
    assert "refusing client certificate" in local_aws.log_text()


def test_emulator_restart_mid_run_resends_without_loss(
    local_aws: LocalAws, prov: AwsEnvironment, tmp_path: Path, target: Target
) -> None:
    fleet = provision_fleet(3, fleet_prefix="itrestart", target=prov, certs_dir=tmp_path)
    cfg = _fleet_config(fleet, count=40, interval=0.1, drain_timeout=60.0)
    timer = threading.Timer(1.5, lambda: local_aws.restart(down_seconds=1.0))
    timer.start()
    try:
        result = run_fleet(cfg)
    finally:
        timer.join()
    assert local_aws.is_healthy()
    assert result.ok, result.summary_lines()
    assert result.disconnects >= 3 and result.connects >= 6
    _assert_all_stored(target, result)
    for creds in fleet:
        assert len(_stored(target, creds.thing_name)) == 40  # no duplicates, none lost
