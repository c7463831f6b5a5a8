"""Analysis: what was sent against what was stored, the sustained rate, the limit met."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from wio_simulator.engine import FleetResult
from wio_tools.bench.store import StoredItem

#: A process using this share of one core for the whole run is taken as CPU-bound.
BUSY_CORE_FRACTION = 0.85


@dataclass
class _Counts:
    stored: int
    lost: int
    lost_acknowledged: int
    duplicates: int
    unexpected: int
    store_latencies: list[float]


def analyse_store(result: FleetResult, items: Sequence[StoredItem]) -> _Counts:
    """Compare what the simulator sent with what the table holds."""
    by_key = result.by_key()
    sent_keys = {k for k, m in by_key.items() if m.attempts > 0}
    stored_keys = {(i.device_id, i.timestamp) for i in items}
    lost = sent_keys - stored_keys
    lost_acked = {k for k in lost if by_key[k].acked}
    per_seq: dict[tuple[str, int | None], int] = {}
    for i in items:
        per_seq[(i.device_id, i.seq)] = per_seq.get((i.device_id, i.seq), 0) + 1
    duplicates = sum(n - 1 for n in per_seq.values() if n > 1)
    unexpected = len(stored_keys - set(by_key))
    latencies: list[float] = []
    for i in items:
        record = by_key.get((i.device_id, i.timestamp))
        if record is None or i.received_at is None or record.last_sent_ms <= 0:
            continue
        latencies.append(float(i.received_at) - record.last_sent_ms)
    return _Counts(
        stored=len(items),
        lost=len(lost),
        lost_acknowledged=len(lost_acked),
        duplicates=duplicates,
        unexpected=unexpected,
        store_latencies=latencies,
    )


def steady_rate(
    result: FleetResult, wall_start: float, stagger: float, interval: float, duration: float
) -> tuple[float, float]:
    """(acknowledged msg/s, window seconds) while every device was producing.

    Device *i* starts at ``stagger * i / n`` and produces until about ``duration`` after its
    start, so all of them run in [stagger, duration]. Without such a window (a run shorter
    than the stagger) it falls back to acknowledged / (last ack - first send).
    """
    lo = wall_start + stagger
    hi = wall_start + duration - interval / 2
    window = hi - lo
    if window < max(2.0, 2 * interval):
        return result.achieved_rate, result.send_window_s
    lo_ms, hi_ms = lo * 1000.0, hi * 1000.0
    acks = sum(1 for m in result.messages if m.acked and lo_ms <= m.acked_ms < hi_ms)
    return acks / window, window


def diagnose_limit(
    *,
    held: bool,
    target_rate: float,
    achieved_rate: float,
    sim_cores: float,
    emulator_cores: float | None,
    machine_busy: float | None,
    cpu_count: int,
    interval: float,
    max_publish_rate: float,
    store_p95_ms: float,
    is_local: bool,
    ack_p95_ms: float = 0.0,
    lost: int = 0,
    failed: int = 0,
    duplicates: int = 0,
) -> str:
    """Which limit the run met, in words (for the report and the docs)."""
    parts: list[str] = []
    if lost or duplicates or failed:
        parts.append(f"losses: lost={lost} duplicates={duplicates} never acknowledged={failed}")
    if max_publish_rate > 0 and 1.0 / interval > max_publish_rate:
        parts.append(
            f"per-connection publish cap ({max_publish_rate:g}/s) below 1/interval "
            f"({1.0 / interval:g}/s)"
        )
    if emulator_cores is not None and emulator_cores >= BUSY_CORE_FRACTION:
        parts.append(
            f"emulator CPU: MiniStack used {emulator_cores:.2f} cores (one Python process "
            "tops out near one core)"
        )
    if sim_cores >= BUSY_CORE_FRACTION:
        parts.append(f"simulator CPU: {sim_cores:.2f} cores (one asyncio loop ≈ one core)")
    if machine_busy is not None and machine_busy >= 0.9:
        parts.append(f"machine CPU: {machine_busy * 100:.0f}% of {cpu_count} cores busy")
    slow = max(2000.0, 3 * interval * 1000.0)
    if store_p95_ms > slow or ack_p95_ms > slow:
        parts.append(
            f"latency: ack p95 {ack_p95_ms:.0f} ms, store p95 {store_p95_ms:.0f} ms (a backlog "
            f"grows; held needs store p95 <= {slow:.0f} ms)"
        )
    if not held and achieved_rate < 0.95 * target_rate:
        parts.append(f"rate: {achieved_rate:.1f} of {target_rate:.1f} msg/s")
    if held:
        busy = "; near a limit: " + ", ".join(parts) if parts else ""
        where = "local AWS" if is_local else "AWS"
        return (
            f"none: {where} kept up with {achieved_rate:.0f}/{target_rate:.0f} msg/s, "
            f"store p95 {store_p95_ms:.0f} ms{busy}"
        )
    if parts:
        return "; ".join(parts)
    return (
        "not CPU-bound by these measures (check ack/store latencies and the emulator log: "
        "I/O, connect-rate cap or the stagger)"
    )
