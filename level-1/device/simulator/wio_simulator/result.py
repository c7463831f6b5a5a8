"""What a fleet run produced: one :class:`MessageRecord` per reading, and the
:class:`FleetResult` totals, latency percentiles and summary lines."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .flow import percentile

if TYPE_CHECKING:
    from .runner import FleetRunner


@dataclass
class MessageRecord:
    """What happened to one reading (times are epoch milliseconds; 0 = never)."""

    device_id: str
    seq: int
    timestamp: int
    payload: bytes
    first_sent_ms: float
    last_sent_ms: float
    acked_ms: float
    ack_latency_ms: float
    attempts: int
    refused: bool = False

    @property
    def acked(self) -> bool:
        return self.acked_ms > 0

    def values(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.payload)
        return result


@dataclass
class FleetResult:
    devices: int
    target_rate: float
    expected: int
    generated: int
    sent: int
    acknowledged: int
    failed: int
    retried: int
    publishes: int
    connects: int
    connect_failures: int
    disconnects: int
    dropped: int
    elapsed_s: float
    send_window_s: float
    ack_p50_ms: float
    ack_p95_ms: float
    ack_p99_ms: float
    cpu_s: float
    peak_rss_mb: float
    messages: list[MessageRecord] = field(default_factory=list, repr=False)
    refused: int = 0  # publishes the broker answered with a failure reason code (MQTT 5)
    reconnects: int = 0  # connects after a device's first
    link_drops: int = 0  # flaky links that went away (wio_simulator.realism)
    skewed: int = 0  # readings stamped by a clock that is off
    alerts: int = 0  # alert messages received
    connect_p50_ms: float = 0.0  # TCP + TLS + CONNECT → CONNACK, per connect
    connect_p95_ms: float = 0.0
    window_s: float = 0.0  # the steady window: every device running
    window_cpu_s: float = 0.0  # this process's CPU in that window
    window_acks: int = 0  # acknowledgements in that window
    baseline_rss_mb: float = 0.0  # before the fleet was built
    workers: int = 1
    start_wall: float = 0.0  # epoch seconds at which device 0 started

    @property
    def window_rate(self) -> float:
        """Acknowledged msg/s in the steady window (summed over worker processes)."""
        return (
            self._window_rate
            if self._window_rate
            else (self.window_acks / self.window_s if self.window_s > 0 else 0.0)
        )

    _window_rate: float = 0.0

    @property
    def window_cpu_ms_per_msg(self) -> float:
        return self.window_cpu_s * 1000.0 / self.window_acks if self.window_acks else 0.0

    @property
    def achieved_rate(self) -> float:
        return self.acknowledged / self.send_window_s if self.send_window_s > 0 else 0.0

    @property
    def ok(self) -> bool:
        return (
            self.failed == 0
            and self.refused == 0
            and self.acknowledged == self.generated == self.expected
        )

    def by_key(self) -> dict[tuple[str, int], MessageRecord]:
        """Records by the table key (device_id, timestamp)."""
        return {(m.device_id, m.timestamp): m for m in self.messages}

    def summary_lines(self) -> list[str]:
        return [
            f"devices={self.devices} target_rate={self.target_rate:.1f}/s "
            f"achieved_rate={self.achieved_rate:.1f}/s elapsed={self.elapsed_s:.1f}s",
            f"expected={self.expected} generated={self.generated} sent={self.sent} "
            f"acknowledged={self.acknowledged} failed={self.failed} retried={self.retried} "
            f"dropped={self.dropped}",
            f"connects={self.connects} connect_failures={self.connect_failures} "
            f"disconnects={self.disconnects} publishes={self.publishes} refused={self.refused}",
            f"realism: reconnects={self.reconnects} link_drops={self.link_drops} "
            f"resent={self.retried} skewed_stamps={self.skewed} alerts={self.alerts}",
            f"publish->ack latency ms: p50={self.ack_p50_ms:.1f} p95={self.ack_p95_ms:.1f} "
            f"p99={self.ack_p99_ms:.1f}",
            f"connect ms: p50={self.connect_p50_ms:.1f} p95={self.connect_p95_ms:.1f}",
            f"simulator cpu={self.cpu_s:.1f}s peak_rss={self.peak_rss_mb:.0f}MB "
            f"(workers={self.workers}); steady window {self.window_s:.1f}s: "
            f"{self.window_cpu_ms_per_msg:.3f} ms CPU per message",
        ]

    def to_json(self, include_messages: bool = False) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "messages"}
        data["achieved_rate"] = self.achieved_rate
        if include_messages:
            data["messages"] = [
                {
                    "device_id": m.device_id,
                    "seq": m.seq,
                    "timestamp": m.timestamp,
                    "first_sent_ms": m.first_sent_ms,
                    "last_sent_ms": m.last_sent_ms,
                    "acked_ms": m.acked_ms,
                    "attempts": m.attempts,
                    "refused": m.refused,
                }
                for m in self.messages
            ]
        return data


# --------------------------------------------------------------------------- process figures
def raise_fd_limit() -> None:
    """Each client holds ~3 descriptors; lift the soft limit to the hard one (Unix)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def process_usage() -> tuple[float, float]:
    """(CPU seconds, peak RSS MB) of this process."""
    try:
        import resource

        ru = resource.getrusage(resource.RUSAGE_SELF)
        rss = ru.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        return ru.ru_utime + ru.ru_stime, rss
    except ImportError:
        t = os.times()
        return t.user + t.system, 0.0


def rss_now_mb() -> float:
    """Current resident memory (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return 0.0


def build_result(
    runner: FleetRunner, elapsed: float, cpu: float, rss: float, rss0: float, wall0: float
) -> FleetResult:
    devices = runner.devices
    msgs = [m for d in devices for m in d.messages]
    acked = [m for m in msgs if m.acked]
    lat = [m.ack_latency_ms for m in acked if m.ack_latency_ms > 0]
    sent_times = [m.first_sent_wall for m in msgs if m.attempts > 0]
    ack_times = [m.acked_wall for m in acked]
    window = (max(ack_times) - min(sent_times)) if sent_times and ack_times else 0.0
    connect_ms = [t for d in devices for t in d.connect_ms]
    samples = runner._samples
    w_s = w_cpu = 0.0
    w_acks = 0
    if len(samples) == 2:
        (a_wall, a_cpu, a_acks), (b_wall, b_cpu, b_acks) = samples
        w_s, w_cpu, w_acks = b_wall - a_wall, b_cpu - a_cpu, b_acks - a_acks
    refused = sum(1 for m in msgs if m.refused)
    return FleetResult(
        devices=len(devices),
        target_rate=runner.cfg.target_rate,
        expected=runner.cfg.expected_messages,
        generated=len(msgs),
        sent=sum(1 for m in msgs if m.attempts > 0),
        acknowledged=len(acked),
        failed=len(msgs) - len(acked) - refused,
        retried=runner.retried,
        publishes=runner.publishes,
        connects=runner.connects,
        connect_failures=runner.connect_failures,
        disconnects=runner.disconnects,
        dropped=sum(d.queue.dropped for d in devices),
        elapsed_s=elapsed,
        send_window_s=window,
        ack_p50_ms=percentile(lat, 50),
        ack_p95_ms=percentile(lat, 95),
        ack_p99_ms=percentile(lat, 99),
        cpu_s=cpu,
        peak_rss_mb=rss,
        refused=refused,
        reconnects=sum(max(0, d.connects - 1) for d in devices),
        link_drops=sum(d.link_drops for d in devices),
        skewed=sum(len(d.messages) for d in devices if d.profile.skew_s != 0),
        alerts=sum(d.alerts for d in devices),
        connect_p50_ms=percentile(connect_ms, 50),
        connect_p95_ms=percentile(connect_ms, 95),
        window_s=w_s,
        window_cpu_s=w_cpu,
        window_acks=w_acks,
        baseline_rss_mb=rss0,
        start_wall=wall0,
        messages=[
            MessageRecord(
                device_id=m.device_id,
                seq=m.seq,
                timestamp=m.timestamp,
                payload=m.payload,
                first_sent_ms=m.first_sent_wall * 1000.0,
                last_sent_ms=m.last_sent_wall * 1000.0,
                acked_ms=m.acked_wall * 1000.0,
                ack_latency_ms=m.ack_latency_ms,
                attempts=m.attempts,
                refused=m.refused,
            )
            for m in msgs
        ],
    )
