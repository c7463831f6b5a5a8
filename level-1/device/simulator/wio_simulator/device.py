"""Runtime state of one simulated device during a run (queue, generator, limits, client)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import paho.mqtt.client as mqtt

from .config import DeviceSpec, FleetConfig
from .flow import Backoff, Message, OfflineQueue, TokenBucket
from .readings import ReadingGenerator


class _Device:
    """Runtime state of one device."""

    def __init__(self, spec: DeviceSpec, index: int, cfg: FleetConfig) -> None:
        self.spec = spec
        self.index = index
        self.queue = OfflineQueue(cfg.max_pending)
        self.generator = ReadingGenerator(
            spec.device_id,
            seed=cfg.seed,
            sensors=cfg.sensors,
            missing_rate=cfg.missing_rate,
            spike_rate=cfg.spike_rate,
        )
        self.publish_bucket = TokenBucket(cfg.max_publish_rate)
        self.backoff = Backoff(
            base=cfg.backoff_base,
            cap=cfg.backoff_cap,
            minimum=cfg.backoff_min,
            rng=random.Random(f"backoff:{cfg.seed}:{spec.device_id}"),
        )
        self.client: mqtt.Client | None = None
        self.sock: Any = None
        self.connected = False
        self.generation_done = False
        self.wakeup = asyncio.Event()
        self.messages: list[Message] = []
        self.last_ts = 0
