"""The benchmark's own code path, small: 50 devices × 1 msg/s × 5 s on the session stack.

`make -C level-1 bench` runs the full size (1,000 devices × 60 s) outside the test run; this
smoke test runs the same ``run_benchmark`` (provision → fleet → read back → count) against
the already deployed session emulator, plus unit checks of the counting itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from it_support import Target

from wio_simulator.engine import FleetResult, MessageRecord
from wio_tools.bench import (
    LAST_LINE_FIELDS,
    BenchTarget,
    StoredItem,
    analyse_store,
    format_last_line,
    parse_last_line,
    run_benchmark,
)

LAST_LINE_RE = (
    r"devices=\d+ target_rate=\d+\.\d achieved_rate=\d+\.\d sent=\d+ stored=\d+ lost=\d+ "
    r"duplicates=\d+ ack_p95_ms=\d+\.\d store_p95_ms=-?\d+\.\d"
)


@pytest.mark.local_only
@pytest.mark.slow
def test_bench_smoke_50_devices_5_seconds(target: Target) -> None:
    lines: list[str] = []
    report, result = run_benchmark(
        BenchTarget.from_local(target.local, target.names.prefix),
        devices=50,
        interval=1.0,
        duration=5.0,
        store_timeout=30.0,
        store_settle=10.0,
        say=lines.append,
    )
    assert report.expected == 250 and report.generated == 250
    assert report.sent == report.acknowledged == 250, report.summary_lines()
    assert report.failed == 0
    assert report.stored == report.sent, report.summary_lines()
    assert report.lost == 0 and report.duplicates == 0 and report.unexpected == 0
    assert report.ok and report.held, report.summary_lines()
    assert report.target_rate == 50.0
    assert 0.9 * 50 <= report.achieved_rate <= 1.1 * 50, report.summary_lines()
    assert 0 < report.ack_p50_ms <= report.ack_p95_ms <= report.ack_p99_ms
    assert report.store_p50_ms <= report.store_p95_ms <= report.store_p99_ms < 5000
    assert report.provision_s > 0 and report.sim_cpu_s > 0 and report.sim_peak_rss_mb > 0
    assert report.emulator_cpu_s is not None and report.emulator_cpu_s > 0
    assert any(line.startswith("provisioned 50 things") for line in lines)

    line = report.last_line()
    assert "\n" not in line
    assert re.fullmatch(LAST_LINE_RE, line), line
    values = parse_last_line(line)
    assert (values["devices"], values["sent"], values["stored"]) == (50, 250, 250)
    assert (values["lost"], values["duplicates"]) == (0, 0)
    json.dumps(report.to_json())  # the --json report serialises
    # The fleet was deleted again (run_benchmark's default).
    pages = target.client("iot").get_paginator("list_things").paginate()
    things = {t["thingName"] for page in pages for t in page["things"]}
    assert not [t for t in things if t.startswith(report.fleet_prefix + "-")]
    assert result.by_key()


# --------------------------------------------------------------------------- counting
def _record(device: str, seq: int, ts: int, *, attempts: int = 1, acked: bool = True) -> Any:
    return MessageRecord(
        device_id=device,
        seq=seq,
        timestamp=ts,
        payload=b"{}",
        first_sent_ms=1000.0 * ts,
        last_sent_ms=1000.0 * ts + (500.0 if attempts > 1 else 0.0),
        acked_ms=1000.0 * ts + 600.0 if acked else 0.0,
        ack_latency_ms=5.0 if acked else 0.0,
        attempts=attempts,
    )


def _result(records: list[Any]) -> FleetResult:
    return FleetResult(
        devices=2, target_rate=2.0, expected=len(records), generated=len(records),
        sent=sum(1 for r in records if r.attempts), acknowledged=sum(1 for r in records if r.acked),
        failed=0, retried=0, publishes=0, connects=0, connect_failures=0, disconnects=0,
        dropped=0, elapsed_s=1.0, send_window_s=1.0, ack_p50_ms=0.0, ack_p95_ms=0.0,
        ack_p99_ms=0.0, cpu_s=0.0, peak_rss_mb=0.0, messages=records,
    )  # fmt: skip


@pytest.mark.unit
def test_analyse_store_counts_lost_duplicates_unexpected_and_latency() -> None:
    records = [
        _record("a", 0, 100),
        _record("a", 1, 101, attempts=2),  # re-sent; stored once: fine
        _record("a", 2, 102),  # never stored: lost (and it was acknowledged)
        _record("b", 0, 100, acked=False),  # sent, no PUBACK, not stored: lost
        _record("b", 1, 101, attempts=0, acked=False),  # never sent: not "lost"
    ]
    items = [
        StoredItem("a", 100, 0, 100_000 + 20),
        StoredItem("a", 101, 1, 101_000 + 530),
        StoredItem("a", 999, 1, 999_000),  # a second row for seq 1: duplicate, unexpected key
        StoredItem("b", 555, None, 555_000),  # unexpected key
    ]
    counts = analyse_store(_result(records), items)
    assert counts.stored == 4
    assert counts.lost == 2 and counts.lost_acknowledged == 1
    assert counts.duplicates == 1
    assert counts.unexpected == 2
    assert sorted(counts.store_latencies) == [20.0, 30.0]  # from the LAST send of a re-send


@pytest.mark.unit
def test_analyse_store_clean_run() -> None:
    records = [_record(d, s, 100 + s) for d in ("a", "b") for s in range(3)]
    items = [StoredItem(r.device_id, r.timestamp, r.seq, r.timestamp * 1000 + 7) for r in records]
    counts = analyse_store(_result(records), items)
    assert (counts.stored, counts.lost, counts.duplicates, counts.unexpected) == (6, 0, 0, 0)
    assert counts.store_latencies == [7.0] * 6


@pytest.mark.unit
def test_last_line_format_round_trips_and_rejects_others() -> None:
    line = format_last_line(
        devices=1000, target_rate=1000.0, achieved_rate=998.44, sent=60000, stored=60000,
        lost=0, duplicates=0, ack_p95_ms=12.345, store_p95_ms=8.0,
    )  # fmt: skip
    assert line == (
        "devices=1000 target_rate=1000.0 achieved_rate=998.4 sent=60000 stored=60000 lost=0 "
        "duplicates=0 ack_p95_ms=12.3 store_p95_ms=8.0"
    )
    assert tuple(parse_last_line(line)) == LAST_LINE_FIELDS
    with pytest.raises(ValueError):
        parse_last_line(line.replace(" lost=0", ""))
    with pytest.raises(ValueError):
        parse_last_line("x=1 " + line)
