"""The mosquitto bench's report and last line: the MiniStack bench's fields plus
``sim_cpu_ms_per_msg``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from wio_tools.bench.report import LAST_LINE_FIELDS, format_last_line

SIM_LAST_LINE_FIELDS = LAST_LINE_FIELDS + ("sim_cpu_ms_per_msg",)

#: Held: at least this share of the target rate, and acks this fast at p95.
HELD_FRACTION = 0.99
HELD_ACK_P95_MS = 500.0


@dataclass
class SimBenchReport:
    devices: int
    workers: int
    interval_s: float
    duration_s: float
    protocol: str
    target_rate: float
    achieved_rate: float
    steady_window_s: float
    expected: int
    generated: int
    sent: int
    acknowledged: int
    failed: int
    resent: int
    stored: int
    redelivered: int
    lost: int
    lost_acknowledged: int
    duplicates: int
    refused: int
    refused_by_reason_code: int
    refused_silently: int
    ack_p50_ms: float
    ack_p95_ms: float
    ack_p99_ms: float
    delivery_p95_ms: float
    connects: int
    connect_failures: int
    reconnects: int
    link_drops: int
    skewed_stamps: int
    alerts: int
    connect_p50_ms: float
    connect_p95_ms: float
    sim_cpu_s: float
    sim_cpu_ms_per_msg: float  # steady window: every device connected and publishing
    sim_cpu_ms_per_msg_overall: float  # whole run, with TLS set-up and the ramp-up
    sim_cpu_ms_per_connect: float  # what the steady rate does not explain, per connect
    sim_peak_rss_mb: float
    sim_kb_per_device: float
    broker_cpu_s: float | None
    counter_cpu_s: float | None
    machine_busy_fraction: float | None
    setup_s: float
    held: bool
    reason: str

    @property
    def ok(self) -> bool:
        return self.held

    def last_line(self) -> str:
        return format_sim_last_line(
            devices=self.devices, target_rate=self.target_rate, achieved_rate=self.achieved_rate,
            sent=self.sent, stored=self.stored, lost=self.lost, duplicates=self.duplicates,
            ack_p95_ms=self.ack_p95_ms, store_p95_ms=self.delivery_p95_ms,
            sim_cpu_ms_per_msg=self.sim_cpu_ms_per_msg,
        )  # fmt: skip

    def summary_lines(self) -> list[str]:
        def cores(cpu: float | None) -> str:
            return "n/a" if cpu is None else f"{cpu:.1f}s"

        busy = self.machine_busy_fraction
        return [
            f"fleet: {self.devices} devices in {self.workers} worker process(es), MQTT "
            f"{self.protocol}, every {self.interval_s:g}s for {self.duration_s:g}s "
            f"(setup {self.setup_s:.1f}s: CA, {self.devices} certificates, broker)",
            f"rate: target={self.target_rate:.1f}/s achieved={self.achieved_rate:.1f}/s "
            f"(steady window {self.steady_window_s:.1f}s)",
            f"counts: expected={self.expected} generated={self.generated} sent={self.sent} "
            f"acknowledged={self.acknowledged} failed={self.failed} resent={self.resent}",
            f"subscriber: stored={self.stored} redelivered={self.redelivered} lost={self.lost} "
            f"(acknowledged: {self.lost_acknowledged}) duplicates={self.duplicates} "
            f"refused={self.refused} (reason code: {self.refused_by_reason_code}, "
            f"acknowledged but dropped by the ACL: {self.refused_silently})",
            f"realism: connects={self.connects} connect_failures={self.connect_failures} "
            f"reconnects={self.reconnects} link_drops={self.link_drops} "
            f"skewed_stamps={self.skewed_stamps} alerts={self.alerts}",
            f"publish->ack ms: p50={self.ack_p50_ms:.1f} p95={self.ack_p95_ms:.1f} "
            f"p99={self.ack_p99_ms:.1f}; publish->subscriber p95={self.delivery_p95_ms:.1f}",
            f"connect (TCP+TLS+CONNACK) ms per device: p50={self.connect_p50_ms:.1f} "
            f"p95={self.connect_p95_ms:.1f}; ~{self.sim_cpu_ms_per_connect:.2f} ms CPU each",
            f"simulator: cpu={self.sim_cpu_s:.1f}s, {self.sim_cpu_ms_per_msg:.3f} ms CPU per "
            f"message steady ({self.sim_cpu_ms_per_msg_overall:.3f} overall), peak_rss="
            f"{self.sim_peak_rss_mb:.0f}MB ({self.sim_kb_per_device:.0f} KB per device)",
            f"broker cpu={cores(self.broker_cpu_s)}; counting subscriber cpu="
            f"{cores(self.counter_cpu_s)}"
            + (f"; machine busy={busy * 100:.0f}% of 2 cores" if busy is not None else ""),
            f"held: {'yes' if self.held else 'NO'}; {self.reason}",
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_line"] = self.last_line()
        return data


def format_sim_last_line(*, sim_cpu_ms_per_msg: float, **fields: Any) -> str:
    return f"{format_last_line(**fields)} sim_cpu_ms_per_msg={sim_cpu_ms_per_msg:.3f}"


def parse_sim_last_line(line: str) -> dict[str, float]:
    parts = line.strip().split(" ")
    keys = tuple(p.split("=", 1)[0] for p in parts)
    if keys != SIM_LAST_LINE_FIELDS or any(p.count("=") != 1 for p in parts):
        raise ValueError(f"not a bench-sim last line: {line!r}")
    return {p.split("=", 1)[0]: float(p.split("=", 1)[1]) for p in parts}


def held_reason(
    *,
    target: float,
    achieved: float,
    lost: int,
    duplicates: int,
    refused: int,
    failed: int,
    ack_p95_ms: float,
) -> tuple[bool, str]:
    """(held, one-line reason)."""
    problems = []
    if achieved < HELD_FRACTION * target:
        problems.append(f"achieved {achieved:.1f} < {HELD_FRACTION:g} x target {target:.1f} msg/s")
    if lost:
        problems.append(f"lost={lost}")
    if duplicates:
        problems.append(f"duplicates={duplicates}")
    if refused:
        problems.append(f"refused={refused}")
    if failed:
        problems.append(f"{failed} readings never acknowledged")
    if ack_p95_ms >= HELD_ACK_P95_MS:
        problems.append(f"ack p95 {ack_p95_ms:.0f} ms >= {HELD_ACK_P95_MS:.0f} ms")
    if problems:
        return False, "not held: " + "; ".join(problems)
    return True, f"held: {achieved:.1f}/{target:.1f} msg/s, ack p95 {ack_p95_ms:.1f} ms"
