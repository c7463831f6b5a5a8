"""Running a fleet: :class:`FleetRunner` and ``run_fleet``/``run_fleet_async``.

Readings are made by loop timers (``call_at``), one per device and reading, not by a task per
device: a timer costs a few microseconds, a task wake-up several times that. A reading is
published at once when its device is connected and under its in-flight and rate limits; the
PUBACK of one lets the next queued one go. One task per device only connects and reconnects
(with the board's backoff). A ticker keeps the MQTT connections alive and a reporter prints
progress. The MQTT side lives in :mod:`wio_simulator.connection`.
"""

from __future__ import annotations

import asyncio
import time

from paho.mqtt.enums import MQTTErrorCode

from .config import FleetConfig, ProgressFn
from .connection import FleetConnections
from .device import _Device
from .flow import Message, TokenBucket
from .result import FleetResult, build_result, process_usage, raise_fd_limit, rss_now_mb

__all__ = ["FleetRunner", "raise_fd_limit", "run_fleet", "run_fleet_async"]


class FleetRunner(FleetConnections):
    """Runs a fleet; ``await run()`` returns a :class:`FleetResult`. ``stop()`` ends it early."""

    def __init__(self, config: FleetConfig) -> None:
        if config.qos not in (0, 1):
            raise ValueError("qos must be 0 or 1 (AWS IoT Core does not support QoS 2)")
        if config.interval <= 0:
            raise ValueError("interval must be positive")
        if not config.devices:
            raise ValueError("no devices")
        self.cfg = config
        self.devices = [
            _Device(spec, config.index_base + i * config.index_stride, config)
            for i, spec in enumerate(config.devices)
        ]
        self.connect_bucket = TokenBucket(config.max_connect_rate)
        # At most this many connects in progress at once.
        self._connect_slots = asyncio.Semaphore(max(1, config.connect_workers))
        self._stop_event: asyncio.Event | None = None  # created on the loop in run()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._n = config.messages_per_device()
        self.connects = 0
        self.connect_failures = 0
        self.disconnects = 0
        self.publishes = 0
        self.retried = 0
        self.refused = 0
        self.acked_total = 0
        self._samples: list[tuple[float, float, int]] = []  # (wall, cpu, acked_total)
        self._started_mono = 0.0

    # ------------------------------------------------------------------ stats
    def counts(self) -> dict[str, int]:
        generated = sum(len(d.messages) for d in self.devices)
        sent = sum(1 for d in self.devices for m in d.messages if m.attempts > 0)
        return {
            "connected": sum(1 for d in self.devices if d.connected),
            "generated": generated,
            "sent": sent,
            "acknowledged": self.acked_total,
            "retried": self.retried,
            "refused": self.refused,
            "inflight": sum(len(d.queue.inflight) for d in self.devices),
            "queued": sum(len(d.queue.pending) for d in self.devices),
        }

    def stop(self) -> None:
        """Stop generating; unacknowledged messages count as failed."""
        if self._stop_event is not None:
            self._stop_event.set()
            for dev in self.devices:
                dev.wakeup.set()

    @property
    def _stopping(self) -> bool:
        return self._stop_event is not None and self._stop_event.is_set()

    # ------------------------------------------------------------------ readings
    def _timestamp(self, dev: _Device, k: int) -> int:
        cfg = self.cfg
        if cfg.start_time is not None:
            ts = int(cfg.start_time + k * max(1, int(round(cfg.interval))))
        else:
            ts = int(time.time())
        ts += dev.profile.skew_s  # the board stamps readings with its own clock
        # Unique per device: the table key is (device_id, timestamp seconds).
        ts = max(ts, dev.last_ts + 1)
        dev.last_ts = ts
        return ts

    def _tick(self, dev: _Device) -> None:
        """Timer: make reading ``next_k``, schedule the next one, publish what may go."""
        loop = self._loop
        assert loop is not None
        if self._stopping:
            self._generation_over(dev)
            return
        k = dev.next_k
        ts = self._timestamp(dev, k)
        msg = Message(
            device_id=dev.spec.device_id,
            seq=k,
            timestamp=ts,
            payload=dev.template.encode(dev.generator.reading(ts, k)),
            created_wall=time.time(),
        )
        dev.messages.append(msg)
        dev.queue.put(msg)
        dev.next_k = k + 1
        if dev.next_k < self._n:
            dev.next_due += dev.jitter.next()
            loop.call_at(dev.next_due, self._tick, dev)
        else:
            self._generation_over(dev)
        self._drain(dev)

    def _generation_over(self, dev: _Device) -> None:
        dev.generation_done = True
        if dev.done() or self._stopping:
            dev.wakeup.set()

    # ------------------------------------------------------------------ publishing
    def _drain(self, dev: _Device) -> None:
        """Publish queued readings while connected, under the in-flight and rate limits."""
        client = dev.client
        if not dev.connected or client is None or dev.drain_timer is not None:
            return
        cfg = self.cfg
        queue = dev.queue
        while queue.pending and len(queue.inflight) < cfg.max_inflight:
            wait = dev.publish_bucket.try_take()
            if wait > 0:
                loop = self._loop
                assert loop is not None
                dev.drain_timer = loop.call_later(wait, self._drain_later, dev)
                break
            msg = queue.pending.popleft()
            info = client.publish(dev.topic, msg.payload, qos=cfg.qos)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                queue.pending.appendleft(msg)  # the connection is gone; on_disconnect follows
                break
            now = time.time()
            if msg.attempts > 0:
                self.retried += 1
            else:
                msg.first_sent_wall = now
            msg.attempts += 1
            msg.last_sent_wall = now
            msg.last_sent_mono = time.monotonic()
            self.publishes += 1
            if cfg.qos == 0:
                msg.acked_wall = now
                self.acked_total += 1
            else:
                queue.sent(info.mid, msg)
        if dev.client is client:
            self._flush(dev, client)
        if dev.done():
            dev.wakeup.set()

    def _drain_later(self, dev: _Device) -> None:
        dev.drain_timer = None
        self._drain(dev)

    def _acked(self, dev: _Device, mid: int, refused: bool) -> None:
        """Inside paho's read callback: book the PUBACK; publishing waits until it returns."""
        msg = dev.queue.acked(mid)
        if msg is None:
            return
        msg.ack_latency_ms = (time.monotonic() - msg.last_sent_mono) * 1000.0
        if refused:
            msg.refused = True  # MQTT 5 reason code >= 0x80 (0x87: not authorized)
            self.refused += 1
        else:
            msg.acked_wall = time.time()
            self.acked_total += 1
        if dev.queue.pending:
            dev.kick = True
        elif dev.done():
            dev.wakeup.set()

    # ------------------------------------------------------------------ per-device task
    async def _run_device(self, dev: _Device, t0: float) -> None:
        stop = self._stop_event
        assert stop is not None and self._loop is not None
        delay = t0 + dev.profile.start_offset_s - self._loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        while not stop.is_set() and not dev.done():
            async with self._connect_slots:
                await self.connect_bucket.acquire()
                if stop.is_set():
                    break
                connected = await self._connect(dev)
            if not connected:
                await self._sleep_or_stop(dev.backoff.next_delay())
                continue
            dev.backoff.reset()
            self._drain(dev)
            while dev.connected and not dev.done() and not stop.is_set():
                dev.wakeup.clear()
                await dev.wakeup.wait()
            if dev.done() or stop.is_set():
                break
            await self._sleep_or_stop(dev.backoff.next_delay())
        client = dev.client
        dev.connected = False
        dev.client = None
        if client is not None:
            self._close_quietly(client)

    async def _sleep_or_stop(self, seconds: float) -> None:
        stop = self._stop_event
        assert stop is not None
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _reporter(self, out: ProgressFn) -> None:
        last_acked = 0
        last_t = time.monotonic()
        while True:
            await asyncio.sleep(self.cfg.progress_interval)
            c = self.counts()
            now = time.monotonic()
            rate = (c["acknowledged"] - last_acked) / max(1e-9, now - last_t)
            last_acked, last_t = c["acknowledged"], now
            out(
                f"[{now - self._started_mono:6.1f}s] connected={c['connected']}/"
                f"{len(self.devices)} generated={c['generated']} sent={c['sent']} "
                f"acked={c['acknowledged']} retried={c['retried']} inflight={c['inflight']} "
                f"queued={c['queued']} rate={rate:.1f} msg/s"
            )

    def _sample(self) -> None:
        self._samples.append((time.time(), process_usage()[0], self.acked_total))

    async def _window(self, lo: float, hi: float) -> None:
        """Sample CPU and acks when every device is up (after ``lo``) and again at ``hi``."""
        loop = self._loop
        assert loop is not None
        while loop.time() < lo or not all(d.connects for d in self.devices):
            if hi - loop.time() < 2.0:
                return  # no steady window worth measuring
            await asyncio.sleep(0.2)
        self._sample()
        await asyncio.sleep(max(0.0, hi - loop.time()))
        self._sample()

    # ------------------------------------------------------------------ run
    async def run(self) -> FleetResult:
        cfg = self.cfg
        raise_fd_limit()
        loop = self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        rss0 = rss_now_mb()
        cpu0, _ = process_usage()
        await loop.run_in_executor(None, self.prepare_tls)
        self._started_mono = time.monotonic()
        lead = max(0.0, (cfg.start_wall or time.time()) - time.time())
        t0 = loop.time() + lead
        wall0 = time.time() + lead
        # The steady window: every device started, none finished (CPU per message there).
        hi = t0 + (self._n - 1) * cfg.interval
        window = asyncio.create_task(self._window(t0 + cfg.start_spread + 0.5, hi))
        helpers = [asyncio.create_task(self._ticker()), window]
        if cfg.progress is not None and cfg.progress_interval > 0:
            helpers.append(asyncio.create_task(self._reporter(cfg.progress)))
        for dev in self.devices:
            dev.next_due = t0 + dev.profile.start_offset_s
            if self._n > 0:
                loop.call_at(dev.next_due, self._tick, dev)
            else:
                dev.generation_done = True
        runners = [asyncio.create_task(self._run_device(d, t0)) for d in self.devices]
        try:
            last_due = t0 + cfg.start_spread + self._n * cfg.interval * (1 + cfg.interval_jitter)
            while not all(d.generation_done for d in self.devices) and not self._stopping:
                await asyncio.sleep(min(0.5, max(0.05, last_due - loop.time())))
            # Generation is over; allow the drain (acks, re-sends) at most drain_timeout.
            done, pending = await asyncio.wait(runners, timeout=cfg.drain_timeout)
            if pending:
                self._stop_event.set()
                for dev in self.devices:
                    dev.wakeup.set()
                await asyncio.wait(pending, timeout=cfg.connect_timeout + 5)
        finally:
            self._stop_event.set()
            for task in runners + helpers:
                task.cancel()
            await asyncio.gather(*runners, *helpers, return_exceptions=True)
            for dev in self.devices:
                if dev.client is not None:
                    self._close_quietly(dev.client)
                    dev.client = None
        elapsed = time.monotonic() - self._started_mono
        cpu1, rss = process_usage()
        return build_result(self, elapsed, cpu1 - cpu0, rss, rss0, wall0)


async def run_fleet_async(config: FleetConfig) -> FleetResult:
    """Run a fleet on the current event loop."""
    return await FleetRunner(config).run()


def run_fleet(config: FleetConfig) -> FleetResult:
    """Run a fleet to completion on a new event loop (blocking)."""
    return asyncio.run(run_fleet_async(config))
