"""Device → MQTT/mTLS → topic rule → DynamoDB: what users rely on end to end."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from it_support import Target, device_items, drain_rejected, plain, wait_for

from wio_contract.fields import CONTRACT
from wio_contract.probes import full_reading

from wio_simulator.engine import DeviceSpec, FleetConfig, run_fleet

pytestmark = pytest.mark.integration


def test_every_simulated_reading_is_stored_once_with_equal_values(
    target: Target, make_device: Any
) -> None:
    creds = make_device("sim")
    count = 25
    config = FleetConfig(
        host=target.mqtt_host,
        port=target.mqtt_port,
        devices=[DeviceSpec(creds.thing_name, str(creds.cert_path), str(creds.key_path))],
        ca_file=str(target.ca_path),
        insecure_hostname=target.is_local,
        interval=0.05,
        count=count,
        seed=7,
        # Distinct, deterministic timestamps one second apart, ending about now.
        start_time=int(time.time()) - count - 5,
    )
    result = run_fleet(config)
    assert result.acknowledged == count and result.failed == 0

    items = wait_for(
        lambda: (lambda xs: xs if len(xs) >= count else None)(
            device_items(target, creds.thing_name)
        ),
        timeout=30,
    )
    assert items, "nothing stored"
    stored = {int(it["timestamp"]): it for it in items}
    assert len(items) == count == len(stored)
    for record in result.messages:
        item = stored[record.timestamp]
        sent = record.values()
        for key, value in sent.items():
            assert plain(item[key]) == value, (key, item, sent)
        assert item["device_id"] == creds.thing_name
        # received_at: server time in epoch milliseconds, close to the send time.
        assert abs(int(item["received_at"]) / 1000 - time.time()) < 600


def test_a_payload_claiming_another_device_is_rejected_not_stored_anywhere(
    target: Target, make_device: Any, connect: Any
) -> None:
    creds = make_device("spoof")
    drain_rejected(target, expect=10**6, timeout=2)
    ts = int(time.time()) - 100
    payload = {"device_id": "someone-else", "timestamp": ts, "temperature": 21.5}
    good = {"device_id": creds.thing_name, "timestamp": ts + 1, "temperature": 21.0}
    with connect(creds) as client:
        client.publish(creds.topic, json.dumps(payload))
        client.publish(creds.topic, json.dumps(good))
    items = wait_for(lambda: device_items(target, creds.thing_name), timeout=20)
    assert [plain(i["timestamp"]) for i in items] == [ts + 1]
    assert device_items(target, "someone-else") == []
    (dead,) = drain_rejected(target, expect=1, timeout=20)
    assert dead["device_id"] == creds.thing_name
    assert json.loads(base64.b64decode(dead["payload_base64"])) == payload


def test_stored_item_has_exactly_the_contract_attributes(
    target: Target, make_device: Any, connect: Any
) -> None:
    creds = make_device("shape")
    ts = int(time.time()) - 90
    reading = full_reading(creds.thing_name, ts)
    reading["firmware"] = "1.2.3"  # outside the schema: kept only in raw_payload
    raw = json.dumps(reading).encode()
    with connect(creds) as client:
        client.publish(creds.topic, raw)
    (item,) = wait_for(lambda: device_items(target, creds.thing_name), timeout=20)
    expected = {f.name for f in CONTRACT.stored_fields} - {"expires_at"}
    assert set(item) == expected
    assert base64.b64decode(item["raw_payload"]) == raw
    for f in CONTRACT.optional_numeric:
        assert plain(item[f.name]) == reading[f.name], f.name


def test_a_resent_reading_does_not_make_a_second_row(
    target: Target, make_device: Any, connect: Any
) -> None:
    creds = make_device("resend")
    payload = json.dumps(
        {"device_id": creds.thing_name, "timestamp": int(time.time()) - 50, "temperature": 20.0}
    )
    with connect(creds) as client:
        client.publish(creds.topic, payload)
        client.publish(creds.topic, payload)  # a QoS 1 re-send after a lost PUBACK
    time.sleep(1.0)
    items = wait_for(lambda: device_items(target, creds.thing_name), timeout=20)
    assert len(items) == 1
