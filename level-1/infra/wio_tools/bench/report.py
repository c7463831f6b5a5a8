"""The benchmark report, and its last line (always, exactly these fields in this order)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

LAST_LINE_FIELDS = (
    "devices",
    "target_rate",
    "achieved_rate",
    "sent",
    "stored",
    "lost",
    "duplicates",
    "ack_p95_ms",
    "store_p95_ms",
)


@dataclass
class BenchReport:
    kind: str
    devices: int
    interval_s: float
    duration_s: float
    target_rate: float
    achieved_rate: float
    overall_rate: float
    steady_window_s: float
    expected: int
    generated: int
    sent: int
    acknowledged: int
    failed: int
    retried: int
    stored: int
    lost: int
    lost_acknowledged: int
    duplicates: int
    unexpected: int
    ack_p50_ms: float
    ack_p95_ms: float
    ack_p99_ms: float
    store_p50_ms: float
    store_p95_ms: float
    store_p99_ms: float
    store_settle_s: float
    provision_s: float
    provision_per_device_ms: float
    run_s: float
    connects: int
    connect_failures: int
    disconnects: int
    sim_cpu_s: float
    sim_cores: float
    sim_peak_rss_mb: float
    emulator_cpu_s: float | None
    emulator_cores: float | None
    emulator_peak_rss_mb: float | None
    machine_busy_fraction: float | None
    cpu_count: int
    max_connect_rate: float
    max_publish_rate: float
    held: bool
    limit: str
    fleet_prefix: str
    count_method: str

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.failed == 0

    def last_line(self) -> str:
        return format_last_line(
            devices=self.devices,
            target_rate=self.target_rate,
            achieved_rate=self.achieved_rate,
            sent=self.sent,
            stored=self.stored,
            lost=self.lost,
            duplicates=self.duplicates,
            ack_p95_ms=self.ack_p95_ms,
            store_p95_ms=self.store_p95_ms,
        )

    def summary_lines(self) -> list[str]:
        emu = (
            f"emulator cpu={self.emulator_cpu_s:.1f}s ({self.emulator_cores:.2f} cores) "
            f"peak_rss={self.emulator_peak_rss_mb or 0:.0f}MB"
            if self.emulator_cpu_s is not None and self.emulator_cores is not None
            else "emulator cpu=n/a"
        )
        machine = (
            f"machine busy={self.machine_busy_fraction * 100:.0f}% of {self.cpu_count} cores"
            if self.machine_busy_fraction is not None
            else f"{self.cpu_count} cores"
        )
        return [
            f"provisioning: {self.devices} things in {self.provision_s:.1f}s "
            f"({self.provision_per_device_ms:.0f} ms/device)",
            f"fleet: {self.devices} devices × every {self.interval_s:g}s for "
            f"{self.duration_s:g}s; run took {self.run_s:.1f}s; connects={self.connects} "
            f"connect_failures={self.connect_failures} disconnects={self.disconnects}",
            f"rate: target={self.target_rate:.1f}/s sustained={self.achieved_rate:.1f}/s "
            f"(steady window {self.steady_window_s:.1f}s) overall={self.overall_rate:.1f}/s",
            f"counts: expected={self.expected} generated={self.generated} sent={self.sent} "
            f"acknowledged={self.acknowledged} failed={self.failed} retried={self.retried}",
            f"store ({self.count_method}): stored={self.stored} lost={self.lost} "
            f"(of them acknowledged: {self.lost_acknowledged}) duplicates={self.duplicates} "
            f"unexpected={self.unexpected}; settled {self.store_settle_s:.1f}s after the run",
            f"publish->ack ms: p50={self.ack_p50_ms:.1f} p95={self.ack_p95_ms:.1f} "
            f"p99={self.ack_p99_ms:.1f}",
            f"publish->stored ms: p50={self.store_p50_ms:.1f} p95={self.store_p95_ms:.1f} "
            f"p99={self.store_p99_ms:.1f}",
            f"simulator cpu={self.sim_cpu_s:.1f}s ({self.sim_cores:.2f} cores) "
            f"peak_rss={self.sim_peak_rss_mb:.0f}MB; {emu}; {machine}",
            f"held: {'yes' if self.held else 'NO'}; limit: {self.limit}",
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["last_line"] = self.last_line()
        return data


def format_last_line(
    *,
    devices: int,
    target_rate: float,
    achieved_rate: float,
    sent: int,
    stored: int,
    lost: int,
    duplicates: int,
    ack_p95_ms: float,
    store_p95_ms: float,
) -> str:
    return (
        f"devices={devices} target_rate={target_rate:.1f} achieved_rate={achieved_rate:.1f} "
        f"sent={sent} stored={stored} lost={lost} duplicates={duplicates} "
        f"ack_p95_ms={ack_p95_ms:.1f} store_p95_ms={store_p95_ms:.1f}"
    )


def parse_last_line(line: str) -> dict[str, float]:
    """The numbers of a last line; raises ValueError unless it has exactly the fields."""
    parts = line.strip().split(" ")
    keys = tuple(p.split("=", 1)[0] for p in parts)
    if keys != LAST_LINE_FIELDS or any(p.count("=") != 1 for p in parts):
        raise ValueError(f"not a benchmark last line: {line!r}")
    return {p.split("=", 1)[0]: float(p.split("=", 1)[1]) for p in parts}
