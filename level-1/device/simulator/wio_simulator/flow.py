"""Flow control for the simulator: rate limits, reconnect backoff, the offline queue.

Pure Python, no I/O, so the unit tests can drive them with a fake clock.

AWS IoT Core quotas these defaults respect (AWS General Reference, "AWS IoT Core endpoints
and quotas", message broker limits,
https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits ; read
2026-11, the publish figure re-checked 2026-12 against an AWS re:Post answer quoting that page):
- Publish requests per second per connection: 100 (not adjustable).
- Connect requests per second per client ID: 1.
- Connect requests per second per account: 500 in the largest regions, lower (100) in
  others; we default to 100/s, which is safe everywhere, and refuse more than 500/s.
- Maximum in-flight unacknowledged inbound QoS 1 messages per client: 100.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable

AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION = 100.0
AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT = 100.0
AWS_MAX_INFLIGHT_PER_CLIENT = 100
#: The highest default account connect rate of any region (adjustable on request).
AWS_MAX_CONNECTS_PER_SECOND_PER_ACCOUNT = 500.0
QUOTAS_URL = "https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits"


def aws_quota_problem(connect_rate: float, publish_rate: float, inflight: int) -> str | None:
    """Why these caps would break AWS IoT Core's quotas, or None when they keep them."""
    if not 0 < publish_rate <= AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION:
        return (
            f"--max-publish-rate must be within 0 < r <= "
            f"{AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION:g} per connection ({QUOTAS_URL})"
        )
    if not 0 < connect_rate <= AWS_MAX_CONNECTS_PER_SECOND_PER_ACCOUNT:
        return (
            f"--connect-rate must be within 0 < r <= {AWS_MAX_CONNECTS_PER_SECOND_PER_ACCOUNT:g}"
            f"/s per account (100/s in smaller regions; {QUOTAS_URL})"
        )
    if not 0 < inflight <= AWS_MAX_INFLIGHT_PER_CLIENT:
        return f"in-flight QoS 1 messages must be within 1..{AWS_MAX_INFLIGHT_PER_CLIENT}"
    return None


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up. ``rate <= 0`` means unlimited."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate))
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock: asyncio.Lock | None = None

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def try_take(self, n: float = 1.0) -> float:
        """Take ``n`` tokens if there are enough and return 0.0, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        self._refill()
        if self._tokens >= n:
            self._tokens -= n
            return 0.0
        return (n - self._tokens) / self.rate

    async def acquire(self, n: float = 1.0) -> None:
        """Wait until ``n`` tokens are available and take them (fair: one waiter at a time)."""
        if self.rate <= 0:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                wait = self.try_take(n)
                if wait <= 0:
                    return
                await asyncio.sleep(wait)


@dataclass
class Backoff:
    """Exponential backoff with jitter; after ``n`` failures the ceiling is
    ``min(cap, base * 2**n)``.

    ``jitter="full"`` sleeps uniform(0, ceiling); ``jitter="equal"`` sleeps
    uniform(ceiling/2, ceiling), the board's own rule (``wio/backoff.h``, see
    :mod:`wio_simulator.board`). ``minimum`` keeps at least that long between attempts (AWS
    allows one CONNECT per second per client id).
    """

    base: float = 1.0
    cap: float = 30.0
    minimum: float = 1.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0
    jitter: str = "full"

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** min(self.attempt, 32)))
        self.attempt += 1
        low = ceiling / 2.0 if self.jitter == "equal" else 0.0
        return max(self.minimum, self.rng.uniform(low, ceiling))

    def reset(self) -> None:
        self.attempt = 0


@dataclass(slots=True)
class Message:
    """One reading on its way. The payload (and so its timestamp) never changes on re-send,
    so the table key (device_id, timestamp) makes a re-send overwrite, never duplicate.
    """

    device_id: str
    seq: int
    timestamp: int
    payload: bytes
    created_wall: float
    first_sent_wall: float = 0.0  # epoch seconds of the first PUBLISH
    last_sent_wall: float = 0.0  # epoch seconds of the latest PUBLISH
    last_sent_mono: float = 0.0
    acked_wall: float = 0.0
    ack_latency_ms: float = 0.0
    attempts: int = 0
    refused: bool = False  # the broker answered with a failure reason code (MQTT 5)

    @property
    def acked(self) -> bool:
        return self.acked_wall > 0


class OfflineQueue:
    """Per-device queue: readings wait in ``pending``; a PUBLISH moves one to ``inflight``
    (keyed by packet id) until its PUBACK. A lost connection puts every unacknowledged
    in-flight message back at the front, oldest first, to be re-sent after reconnecting.
    """

    def __init__(self, max_pending: int = 100_000) -> None:
        self.pending: deque[Message] = deque()
        self.inflight: dict[int, Message] = {}
        self.max_pending = max_pending
        self.dropped = 0
        self.requeued = 0

    def put(self, msg: Message) -> None:
        """Queue a new reading; when full, the oldest waiting reading is dropped."""
        if len(self.pending) >= self.max_pending:
            self.pending.popleft()
            self.dropped += 1
        self.pending.append(msg)

    def next(self) -> Message | None:
        return self.pending.popleft() if self.pending else None

    def sent(self, mid: int, msg: Message) -> None:
        self.inflight[mid] = msg

    def acked(self, mid: int) -> Message | None:
        return self.inflight.pop(mid, None)

    def requeue_inflight(self) -> int:
        """Connection lost: unacknowledged messages go back to the front, in seq order."""
        msgs = sorted(self.inflight.values(), key=lambda m: m.seq)
        self.inflight.clear()
        for msg in reversed(msgs):
            self.pending.appendleft(msg)
        self.requeued += len(msgs)
        return len(msgs)

    def unacknowledged(self) -> Iterable[Message]:
        yield from self.inflight.values()
        yield from self.pending

    def __len__(self) -> int:
        return len(self.pending) + len(self.inflight)

    @property
    def empty(self) -> bool:
        return not self.pending and not self.inflight


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])
