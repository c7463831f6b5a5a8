"""Running a fleet: :class:`FleetRunner` and ``run_fleet``/``run_fleet_async``.

Per device, one task generates readings on schedule (whether connected or not) and one connects,
publishes and reconnects with backoff; a ticker keeps the MQTT connections alive and a reporter
prints progress. The MQTT side lives in :mod:`wio_simulator.connection`.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from paho.mqtt.enums import MQTTErrorCode

from .config import FleetConfig, ProgressFn
from .connection import FleetConnections
from .device import _Device
from .flow import Message, TokenBucket, percentile
from .result import FleetResult, MessageRecord


def raise_fd_limit() -> None:
    """Each client holds ~3 descriptors; lift the soft limit to the hard one (Unix)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def _usage() -> tuple[float, float]:
    """(CPU seconds, peak RSS MB) of this process."""
    try:
        import resource

        ru = resource.getrusage(resource.RUSAGE_SELF)
        rss = ru.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        return ru.ru_utime + ru.ru_stime, rss
    except ImportError:
        t = os.times()
        return t.user + t.system, 0.0


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
        self.devices = [_Device(spec, i, config) for i, spec in enumerate(config.devices)]
        self.connect_bucket = TokenBucket(config.max_connect_rate)
        self._ssl_cache: dict[tuple[str, str, str | None, bool], ssl.SSLContext] = {}
        self._stop_event: asyncio.Event | None = None  # created on the loop in run()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connects = 0
        self.connect_failures = 0
        self.disconnects = 0
        self.publishes = 0
        self.retried = 0
        self._started_mono = 0.0

    # ------------------------------------------------------------------ stats
    def counts(self) -> dict[str, int]:
        generated = sum(len(d.messages) for d in self.devices)
        sent = sum(1 for d in self.devices for m in d.messages if m.attempts > 0)
        acked = sum(1 for d in self.devices for m in d.messages if m.acked)
        return {
            "connected": sum(1 for d in self.devices if d.connected),
            "generated": generated,
            "sent": sent,
            "acknowledged": acked,
            "retried": self.retried,
            "inflight": sum(len(d.queue.inflight) for d in self.devices),
            "queued": sum(len(d.queue.pending) for d in self.devices),
        }

    def stop(self) -> None:
        """Stop generating; unacknowledged messages count as failed."""
        if self._stop_event is not None:
            self._stop_event.set()

    # ------------------------------------------------------------------ per-device tasks
    def _timestamp(self, dev: _Device, k: int) -> int:
        cfg = self.cfg
        if cfg.start_time is not None:
            ts = int(cfg.start_time + k * max(1, int(round(cfg.interval))))
        else:
            ts = int(time.time())
        # Unique per device: the table key is (device_id, timestamp seconds).
        ts = max(ts, dev.last_ts + 1)
        dev.last_ts = ts
        return ts

    async def _produce(self, dev: _Device, t0: float) -> None:
        cfg = self.cfg
        n = cfg.messages_per_device()
        stagger = cfg.interval if cfg.stagger is None else cfg.stagger
        offset = stagger * dev.index / max(1, len(self.devices))
        try:
            for k in range(n):
                due = t0 + offset + k * cfg.interval
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self._stop_event is not None and self._stop_event.is_set():
                    return
                ts = self._timestamp(dev, k)
                payload = dev.generator.reading(ts, k)
                msg = Message(
                    device_id=dev.spec.device_id,
                    seq=k,
                    timestamp=ts,
                    payload=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
                    created_wall=time.time(),
                )
                dev.messages.append(msg)
                dev.queue.put(msg)
                dev.wakeup.set()
        finally:
            dev.generation_done = True
            dev.wakeup.set()

    async def _pump(self, dev: _Device) -> bool:
        """Publish while connected. True when everything is sent and acknowledged."""
        cfg = self.cfg
        while True:
            dev.wakeup.clear()
            if self._stop_event is not None and self._stop_event.is_set():
                return True
            client = dev.client
            if not dev.connected or client is None:
                return False
            if dev.queue.pending and len(dev.queue.inflight) < cfg.max_inflight:
                await dev.publish_bucket.acquire()
                if not dev.connected or dev.client is not client:
                    return False
                msg = dev.queue.next()
                if msg is None:
                    continue
                info = client.publish(dev.spec.publish_topic, msg.payload, qos=cfg.qos)
                if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    dev.queue.pending.appendleft(msg)
                    return False
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
                else:
                    dev.queue.sent(info.mid, msg)
                continue
            if dev.generation_done and dev.queue.empty:
                return True
            await dev.wakeup.wait()

    async def _run_device(self, dev: _Device, executor: ThreadPoolExecutor) -> None:
        stop = self._stop_event
        assert stop is not None
        cfg = self.cfg
        stagger = cfg.interval if cfg.stagger is None else cfg.stagger
        offset = stagger * dev.index / max(1, len(self.devices))
        if offset > 0:
            await asyncio.sleep(offset)
        while not stop.is_set():
            if dev.generation_done and dev.queue.empty:
                break
            await self.connect_bucket.acquire()
            if stop.is_set():
                break
            if not await self._connect(dev, executor):
                await self._sleep_or_stop(dev.backoff.next_delay())
                continue
            dev.backoff.reset()
            if await self._pump(dev):
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

    # ------------------------------------------------------------------ run
    async def run(self) -> FleetResult:
        cfg = self.cfg
        raise_fd_limit()
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        cpu0, _ = _usage()
        self._started_mono = t0 = time.monotonic()
        wall0 = time.time()
        executor = ThreadPoolExecutor(
            max_workers=max(1, cfg.connect_workers), thread_name_prefix="mqtt-connect"
        )
        helpers = [asyncio.create_task(self._ticker())]
        if cfg.progress is not None and cfg.progress_interval > 0:
            helpers.append(asyncio.create_task(self._reporter(cfg.progress)))
        producers = [asyncio.create_task(self._produce(d, t0)) for d in self.devices]
        runners = [asyncio.create_task(self._run_device(d, executor)) for d in self.devices]
        try:
            await asyncio.gather(*producers)
            # Generation is over; allow the drain (acks, re-sends) at most drain_timeout.
            done, pending = await asyncio.wait(runners, timeout=cfg.drain_timeout)
            if pending:
                self._stop_event.set()
                await asyncio.wait(pending, timeout=cfg.connect_timeout + 5)
        finally:
            self._stop_event.set()
            for task in producers + runners + helpers:
                task.cancel()
            await asyncio.gather(*producers, *runners, *helpers, return_exceptions=True)
            for dev in self.devices:
                if dev.client is not None:
                    self._close_quietly(dev.client)
                    dev.client = None
            executor.shutdown(wait=False, cancel_futures=True)
        elapsed = time.monotonic() - t0
        cpu1, rss = _usage()
        return self._result(elapsed, cpu1 - cpu0, rss, wall0)

    def _result(self, elapsed: float, cpu: float, rss: float, wall0: float) -> FleetResult:
        msgs = [m for d in self.devices for m in d.messages]
        acked = [m for m in msgs if m.acked]
        lat = [m.ack_latency_ms for m in acked if m.ack_latency_ms > 0]
        sent_times = [m.first_sent_wall for m in msgs if m.attempts > 0]
        ack_times = [m.acked_wall for m in acked]
        window = (max(ack_times) - min(sent_times)) if sent_times and ack_times else 0.0
        return FleetResult(
            devices=len(self.devices),
            target_rate=self.cfg.target_rate,
            expected=self.cfg.expected_messages,
            generated=len(msgs),
            sent=sum(1 for m in msgs if m.attempts > 0),
            acknowledged=len(acked),
            failed=len(msgs) - len(acked),
            retried=self.retried,
            publishes=self.publishes,
            connects=self.connects,
            connect_failures=self.connect_failures,
            disconnects=self.disconnects,
            dropped=sum(d.queue.dropped for d in self.devices),
            elapsed_s=elapsed,
            send_window_s=window,
            ack_p50_ms=percentile(lat, 50),
            ack_p95_ms=percentile(lat, 95),
            ack_p99_ms=percentile(lat, 99),
            cpu_s=cpu,
            peak_rss_mb=rss,
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
                )
                for m in msgs
            ],
        )


async def run_fleet_async(config: FleetConfig) -> FleetResult:
    """Run a fleet on the current event loop."""
    return await FleetRunner(config).run()


def run_fleet(config: FleetConfig) -> FleetResult:
    """Run a fleet to completion on a new event loop (blocking)."""
    return asyncio.run(run_fleet_async(config))
