"""What makes a simulated fleet look like a real one, decided per device from the seed.

- **start-up spread**: device *i* of *n* starts at ``spread * i / n`` (``FleetConfig.stagger``);
- **jittered intervals**: each interval is ``interval * uniform(1 - j, 1 + j)``, so devices
  drift apart instead of publishing in lock-step;
- **flaky links**: a share of the devices loses its link (the socket goes away without an MQTT
  DISCONNECT, as when Wi-Fi drops) after an exponentially distributed up time, then reconnects
  with the board's own backoff and re-sends what was not acknowledged;
- **clock skew**: a device's clock is off by a whole number of seconds in ``[-s, s]``; its
  readings carry the skewed stamp (the firmware stamps readings with its own clock).

Every choice comes from ``random.Random`` seeded by (seed, device id), so runs repeat.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .config import FleetConfig


@dataclass(frozen=True)
class DeviceProfile:
    start_offset_s: float
    flaky: bool
    skew_s: int


def device_profile(cfg: FleetConfig, device_id: str, index: int) -> DeviceProfile:
    """The profile of the device at global position ``index`` of the fleet."""
    rng = random.Random(f"profile:{cfg.seed}:{device_id}")
    offset = cfg.start_spread * index / max(1, cfg.total_devices)
    flaky = cfg.flaky_share > 0 and rng.random() < cfg.flaky_share
    skew = 0
    if cfg.clock_skew_s > 0:
        limit = int(cfg.clock_skew_s)
        skew = rng.randint(-limit, limit) if limit > 0 else 0
    return DeviceProfile(start_offset_s=offset, flaky=flaky, skew_s=skew)


class Jitter:
    """The next interval of one device."""

    def __init__(self, interval: float, fraction: float, rng: random.Random) -> None:
        self.interval = interval
        self.fraction = max(0.0, min(0.9, fraction))
        self._rng = rng

    def next(self) -> float:
        if self.fraction <= 0:
            return self.interval
        f = self.fraction
        return self.interval * self._rng.uniform(1.0 - f, 1.0 + f)


def link_up_time(mean_s: float, rng: random.Random) -> float:
    """How long a flaky link stays up this time (at least 0.5 s)."""
    return max(0.5, rng.expovariate(1.0 / max(0.1, mean_s)))
