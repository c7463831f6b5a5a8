"""Runtime state of one simulated device during a run (queue, generator, limits, client)."""

from __future__ import annotations

import asyncio
import random
import ssl
from typing import Any

import paho.mqtt.client as mqtt

from .config import DeviceSpec, FleetConfig, alerts_topic
from .flow import Backoff, Message, OfflineQueue, TokenBucket
from .payloads import PayloadTemplate
from .readings import ReadingGenerator
from .realism import Jitter, device_profile


class _Device:
    """Runtime state of one device."""

    def __init__(self, spec: DeviceSpec, index: int, cfg: FleetConfig) -> None:
        self.spec = spec
        self.index = index  # position in the whole fleet (across worker processes)
        self.topic = spec.publish_topic
        self.alerts_topic = alerts_topic(spec.device_id)
        self.profile = device_profile(cfg, spec.device_id, index)
        self.queue = OfflineQueue(cfg.max_pending)
        self.generator = ReadingGenerator(
            spec.device_id,
            seed=cfg.seed,
            sensors=cfg.sensors,
            missing_rate=cfg.missing_rate,
            spike_rate=cfg.spike_rate,
        )
        self.template = PayloadTemplate(spec.device_id)
        self.publish_bucket = TokenBucket(cfg.max_publish_rate)
        self.rng = random.Random(f"run:{cfg.seed}:{spec.device_id}")
        self.jitter = Jitter(cfg.interval, cfg.interval_jitter, self.rng)
        self.backoff = Backoff(
            base=cfg.backoff_base,
            cap=cfg.backoff_cap,
            minimum=cfg.backoff_min,
            rng=random.Random(f"backoff:{cfg.seed}:{spec.device_id}"),
            jitter=cfg.backoff_jitter,
        )
        self.client: mqtt.Client | None = None
        self.ssl_context: ssl.SSLContext | None = None  # kept for reconnects
        self.sock: Any = None
        self.writing = False  # a writer callback is registered for the socket
        self.kick = False  # an ack arrived inside paho's callback: publish more after it
        self.drain_timer: asyncio.TimerHandle | None = None
        self.drop_timer: asyncio.TimerHandle | None = None
        self.connected = False
        self.generation_done = False
        self.wakeup = asyncio.Event()
        self.messages: list[Message] = []
        self.last_ts = 0
        self.next_k = 0
        self.next_due = 0.0
        self.connects = 0
        self.link_drops = 0
        self.alerts = 0
        self.connect_ms: list[float] = []

    def done(self) -> bool:
        return self.generation_done and self.queue.empty
