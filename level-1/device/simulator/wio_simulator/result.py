"""What a fleet run produced: one :class:`MessageRecord` per reading, and the
:class:`FleetResult` totals, latency percentiles and summary lines."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


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

    @property
    def achieved_rate(self) -> float:
        return self.acknowledged / self.send_window_s if self.send_window_s > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.acknowledged == self.generated == self.expected

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
            f"disconnects={self.disconnects} publishes={self.publishes}",
            f"publish->ack latency ms: p50={self.ack_p50_ms:.1f} p95={self.ack_p95_ms:.1f} "
            f"p99={self.ack_p99_ms:.1f}",
            f"simulator cpu={self.cpu_s:.1f}s peak_rss={self.peak_rss_mb:.0f}MB",
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
                }
                for m in self.messages
            ]
        return data
