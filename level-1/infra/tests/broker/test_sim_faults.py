"""Faults between a fleet and a mutual-TLS mosquitto: no acknowledged reading may be lost.

Each test starts a broker (``wio_tools.simbench.run.sim_env``) and the counting subscriber,
runs a small fleet in a background thread, injects one fault, then compares what was sent
with what the subscriber received (``wio_tools.simbench.analysis.compare``):

* the broker is restarted mid-run;
* a device's certificate is revoked mid-run (CRL entry and ACL lines removed, SIGHUP);
* the ACL refuses a device's publishes (to another device's topic), in MQTT 3.1.1, where
  mosquitto 2 still PUBACKs them, and in MQTT 5, where the PUBACK carries 0x87;
* 10 % of the packets are lost (TCP retransmits them) on a loopback proxy;
* a flaky, jittered, clock-skewed fleet.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from sim_support import FAST, Background, wait_for

from wio_simulator.config import MQTT_V5, DeviceSpec
from wio_simulator.engine import FleetResult
from fault_proxy import FaultProxy
from wio_tools.simbench.analysis import SimCounts, compare
from wio_tools.simbench.counter import Counter
from wio_tools.simbench.run import SimEnv, fleet_config, sim_env

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]


@pytest.fixture
def env() -> Iterator[SimEnv]:
    with sim_env(12, prefix="flt") as e:
        yield e


def _finish(env: SimEnv, counter: Counter, run: Background) -> tuple[FleetResult, SimCounts]:
    result = run.join()
    counter.wait_settled(result.acknowledged, timeout=15.0)
    received = counter.stop()
    topics = {s.device_id: s.publish_topic for s in env.specs}
    allowed = {d for d, t in topics.items() if env.broker.allows(d, t)}
    return result, compare(result, received, allowed.__contains__)


def _assert_clean(result: FleetResult, counts: SimCounts) -> None:
    assert counts.lost_acknowledged == 0, counts
    assert counts.duplicates == 0 and counts.unexpected == 0, counts
    assert counts.stored + counts.refused + counts.lost == result.sent, (counts, result.sent)


def test_broker_restart_mid_run(env: SimEnv) -> None:
    with Counter(env.counter) as counter:
        run = Background(fleet_config(env, **FAST))
        time.sleep(2.5)
        env.broker.restart(down_s=1.0)
        result, counts = _finish(env, counter, run)
    _assert_clean(result, counts)
    assert result.failed == 0 and counts.lost == 0 and counts.stored == result.expected
    assert result.disconnects >= len(env.specs) and result.reconnects >= len(env.specs)


def test_certificate_revoked_mid_run(env: SimEnv, tmp_path: Path) -> None:
    victim = env.specs[0].device_id
    with Counter(env.counter) as counter, FaultProxy(env.broker.port) as proxy:
        # The victim can never drain its queue: stop waiting for it 5 s after the last reading.
        run = Background(fleet_config(env, port=proxy.port, **{**FAST, "drain_timeout": 5.0}))
        wait_for(lambda: proxy.open_connections == len(env.specs), 10, "every device up")
        time.sleep(1.5)
        env.broker.revoke(env.certs[victim])  # CRL + ACL, SIGHUP
        time.sleep(0.5)
        proxy.drop_connections()  # everyone reconnects; the victim's handshake now fails
        result, counts = _finish(env, counter, run)
    _assert_clean(result, counts)
    others = [m for m in result.messages if m.device_id != victim]
    assert all(m.acked for m in others) and counts.stored >= len(others)
    mine = [m for m in result.messages if m.device_id == victim]
    assert result.connect_failures > 0 and not all(m.acked for m in mine)
    assert counts.refused == counts.refused_silently  # 3.1.1: PUBACKed after the ACL change


@pytest.mark.parametrize("mqtt5", [False, True], ids=["mqtt3.1.1", "mqtt5"])
def test_acl_refuses_another_devices_topic(env: SimEnv, mqtt5: bool) -> None:
    a, b = env.specs[0], env.specs[1]
    wrong = f"device/{b.device_id}/data"
    env.specs[0] = DeviceSpec(a.device_id, a.cert_file, a.key_file, topic=wrong)
    extra: dict[str, Any] = {"protocol": MQTT_V5} if mqtt5 else {}
    with Counter(env.counter) as counter:
        run = Background(fleet_config(env, **{**FAST, "count": 10, **extra}))
        result, counts = _finish(env, counter, run)
    _assert_clean(result, counts)
    mine = [m for m in result.messages if m.device_id == a.device_id]
    assert counts.refused == len(mine) == 10 and counts.lost == 0
    if mqtt5:
        assert counts.refused_by_reason_code == 10 and all(m.refused for m in mine)
        assert result.refused == 10
    else:  # mosquitto 2 PUBACKs a publish its ACL denies, and drops it
        assert counts.refused_silently == 10 and all(m.acked for m in mine)
    assert counts.stored == result.expected - 10


def test_ten_percent_packet_loss(env: SimEnv) -> None:
    with Counter(env.counter) as counter, FaultProxy(env.broker.port) as proxy:
        proxy.set_loss(0.10)
        run = Background(fleet_config(env, port=proxy.port, **FAST))
        result, counts = _finish(env, counter, run)
        retransmits = proxy.stats.retransmits
    _assert_clean(result, counts)
    assert retransmits > 20 and result.failed == 0 and counts.stored == result.expected
    assert result.ack_p95_ms >= 150  # a retransmission holds a PUBLISH or its PUBACK 200 ms


def test_flaky_jittered_skewed_fleet(env: SimEnv) -> None:
    shape = dict(flaky_share=0.5, flaky_mean_up_s=1.5, interval_jitter=0.2, clock_skew_s=5)
    with Counter(env.counter) as counter:
        run = Background(fleet_config(env, **{**FAST, "count": 30, **shape}))
        result, counts = _finish(env, counter, run)
    _assert_clean(result, counts)
    assert result.link_drops > 0 and result.reconnects >= result.link_drops - len(env.specs)
    assert result.skewed > 0 and result.failed == 0 and counts.stored == result.expected
    assert counts.lost == 0
