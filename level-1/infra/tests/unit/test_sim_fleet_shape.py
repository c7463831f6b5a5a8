"""Realistic-fleet knobs, payload templates and the bench-sim bookkeeping, without a broker."""

from __future__ import annotations

import json
import random

import pytest

from wio_simulator.config import DeviceSpec, FleetConfig
from wio_simulator.payloads import PayloadTemplate, dumps
from wio_simulator.readings import ReadingGenerator
from wio_simulator.realism import Jitter, device_profile
from wio_simulator.result import FleetResult, MessageRecord
from wio_simulator.workers import default_workers, split_config
from wio_tools.simbench.analysis import compare
from wio_tools.simbench.broker import COUNTER_USER, acl_text
from wio_tools.simbench.report import held_reason, parse_sim_last_line, format_sim_last_line

pytestmark = pytest.mark.unit


def _cfg(n: int, **kw: object) -> FleetConfig:
    specs = [DeviceSpec(f"d-{i:04d}", "c", "k") for i in range(n)]
    return FleetConfig(host="h", port=1, devices=specs, **kw)  # type: ignore[arg-type]


def test_payload_template_gives_exactly_json_dumps() -> None:
    gen = ReadingGenerator("sim-0001", missing_rate=0.3, seed=4)
    template = PayloadTemplate("sim-0001")
    for k in range(2000):
        payload = gen.reading(1_800_000_000 + k, k)
        assert template.encode(payload) == dumps(payload)
    odd = PayloadTemplate('a"b')
    assert json.loads(odd.encode({"device_id": 'a"b', "seq": 1})) == {"device_id": 'a"b', "seq": 1}


def test_profiles_spread_starts_pick_a_flaky_share_and_skew_clocks() -> None:
    cfg = _cfg(1000, stagger=10.0, flaky_share=0.2, clock_skew_s=30)
    profiles = [device_profile(cfg, d.device_id, i) for i, d in enumerate(cfg.devices)]
    assert profiles[0].start_offset_s == 0 and profiles[500].start_offset_s == pytest.approx(5.0)
    assert 150 < sum(p.flaky for p in profiles) < 250
    assert all(-30 <= p.skew_s <= 30 for p in profiles)
    assert sum(p.skew_s != 0 for p in profiles) > 900
    assert profiles == [device_profile(cfg, d.device_id, i) for i, d in enumerate(cfg.devices)]
    plain = _cfg(10)
    assert not any(device_profile(plain, d.device_id, 0).flaky for d in plain.devices)


def test_jitter_stays_within_its_band() -> None:
    j = Jitter(1.0, 0.2, random.Random(1))
    values = [j.next() for _ in range(1000)]
    assert min(values) >= 0.8 and max(values) <= 1.2 and len(set(values)) > 900
    assert Jitter(1.0, 0.0, random.Random(1)).next() == 1.0


def test_workers_split_keeps_fleet_positions_and_shares_the_connect_cap() -> None:
    cfg = _cfg(10, max_connect_rate=100.0)
    parts = split_config(cfg, 3, lead_s=1.0)
    assert [len(p.devices) for p in parts] == [4, 3, 3]
    assert [p.index_base for p in parts] == [0, 1, 2] and {p.index_stride for p in parts} == {3}
    assert [p.max_connect_rate for p in parts] == [pytest.approx(100.0 / 3)] * 3
    assert len({p.start_wall for p in parts}) == 1 and {p.fleet_size for p in parts} == {10}
    assert default_workers(100) == 1


def _record(dev: str, seq: int, *, acked: bool = True, refused: bool = False) -> MessageRecord:
    payload = json.dumps({"device_id": dev, "seq": seq}).encode()
    return MessageRecord(
        dev, seq, 100 + seq, payload, 1000.0, 1000.0, 1005.0 if acked else 0.0, 5.0, 1,
        refused=refused,
    )  # fmt: skip


def _result(records: list[MessageRecord]) -> FleetResult:
    return FleetResult(
        devices=2, target_rate=2.0, expected=len(records), generated=len(records),
        sent=len(records), acknowledged=0, failed=0, retried=0, publishes=0, connects=0,
        connect_failures=0, disconnects=0, dropped=0, elapsed_s=1.0, send_window_s=1.0,
        ack_p50_ms=0.0, ack_p95_ms=0.0, ack_p99_ms=0.0, cpu_s=0.0, peak_rss_mb=0.0,
        messages=records,
    )  # fmt: skip


def test_compare_counts_stored_redelivered_refused_and_lost() -> None:
    records = [
        _record("a", 0),  # stored once
        _record("a", 1),  # stored, then delivered again after a re-send
        _record("a", 2, acked=False),  # sent, no PUBACK, never arrived: lost
        _record("b", 0, refused=True),  # MQTT 5: PUBACK 0x87
        _record("c", 0),  # MQTT 3.1.1: PUBACKed, dropped by the ACL (c was revoked)
        _record("a", 3),  # PUBACKed, allowed, never arrived: lost, acknowledged
    ]
    received = {records[0].payload: [1, 1010.0], records[1].payload: [2, 1020.0]}
    received[json.dumps({"device_id": "a", "seq": 0, "x": 1}).encode()] = [1, 1030.0]
    counts = compare(_result(records), received, lambda d: d != "c")
    assert (counts.stored, counts.redelivered) == (2, 1)
    assert (counts.refused, counts.refused_by_reason_code, counts.refused_silently) == (2, 1, 1)
    assert (counts.lost, counts.lost_acknowledged) == (2, 1)
    assert (counts.duplicates, counts.unexpected) == (1, 1)
    assert sorted(counts.delivery_ms) == [10.0, 20.0]


def test_acl_lets_each_certificate_publish_only_to_its_own_topic() -> None:
    text = acl_text(["sim-0001", "sim-0002"], revoked={"sim-0002"})
    blocks = text.split("user ")
    assert f"{COUNTER_USER}\ntopic read device/+/data\n" in blocks
    assert (
        "sim-0001\ntopic write device/sim-0001/data\ntopic read device/sim-0001/alerts\n" in blocks
    )
    assert "sim-0002" not in text and "#" not in text


def test_sim_last_line_round_trips_and_held_says_why() -> None:
    line = format_sim_last_line(
        devices=5000, target_rate=5000.0, achieved_rate=4990.0, sent=1, stored=1, lost=0,
        duplicates=0, ack_p95_ms=12.0, store_p95_ms=9.0, sim_cpu_ms_per_msg=0.1234,
    )  # fmt: skip
    assert line.endswith("store_p95_ms=9.0 sim_cpu_ms_per_msg=0.123")
    assert parse_sim_last_line(line)["sim_cpu_ms_per_msg"] == 0.123
    held, reason = held_reason(
        target=100, achieved=98, lost=0, duplicates=0, refused=0, failed=0, ack_p95_ms=600
    )
    assert not held and "achieved 98.0 < 0.99 x target" in reason and "ack p95 600" in reason
    assert "\n" not in reason
    assert held_reason(
        target=100, achieved=99.5, lost=0, duplicates=0, refused=0, failed=0, ack_p95_ms=10
    )[0]
