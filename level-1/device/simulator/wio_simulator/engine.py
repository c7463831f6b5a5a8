"""The fleet engine: many MQTT/mTLS clients in one process on one asyncio loop.

paho-mqtt's own network loop (``loop_start``/``loop_forever``) uses ``select()``, which cannot
watch file descriptors above 1024; with ~3 descriptors per client a threaded process silently
stalls above ~340 clients. So we drive paho through its external-loop API instead:
``on_socket_open``/``on_socket_close``/``on_socket_register_write``/
``on_socket_unregister_write`` register each socket with the asyncio loop, which calls
``loop_read``/``loop_write``; a ticker calls ``loop_misc`` for keepalives.

The blocking part of paho's ``connect()`` (TCP connect and TLS handshake) runs in a small
thread pool so a slow or stalled broker never blocks the loop; everything else runs on the
loop thread.

Each device: its own client id (the thing name), its own certificate, QoS 1, its own
interval, a staggered start, a per-connection publish-rate cap and a fleet-wide connect-rate
cap, and an offline queue: readings are generated on schedule whether connected or not, and
unacknowledged ones are re-sent after a reconnect (exponential backoff with jitter). A
re-send carries the same payload and timestamp, so it overwrites the same DynamoDB item.

The code lives in small modules of this package; this module re-exports their public names, so
``from wio_simulator.engine import ...`` keeps working:

- ``config``: ``DeviceSpec``, ``FleetConfig``, ``device_topic``, ``fleet_from_certs``,
  ``is_loopback``;
- ``result``: ``MessageRecord``, ``FleetResult`` (totals, percentiles, summary);
- ``device``: the runtime state of one device;
- ``connection``: the paho client and its socket wired into asyncio, TLS contexts, keepalives;
- ``runner``: ``FleetRunner``, ``run_fleet``, ``run_fleet_async``, ``raise_fd_limit``.
"""

from __future__ import annotations

from .config import (
    DeviceSpec,
    FleetConfig,
    ProgressFn,
    device_topic,
    fleet_from_certs,
    is_loopback,
)
from .result import FleetResult, MessageRecord
from .runner import FleetRunner, raise_fd_limit, run_fleet, run_fleet_async

__all__ = [
    "ProgressFn",
    "device_topic",
    "DeviceSpec",
    "FleetConfig",
    "MessageRecord",
    "FleetResult",
    "raise_fd_limit",
    "FleetRunner",
    "run_fleet_async",
    "run_fleet",
    "fleet_from_certs",
    "is_loopback",
]
