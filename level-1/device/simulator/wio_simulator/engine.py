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
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from .flow import (
    AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
    AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
    Backoff,
    Message,
    OfflineQueue,
    TokenBucket,
    percentile,
)
from .readings import ALL_SENSORS, ReadingGenerator

ProgressFn = Callable[[str], None]


def device_topic(device_id: str) -> str:
    return f"device/{device_id}/data"


@dataclass
class DeviceSpec:
    """One simulated device: its client id/thing name and its credentials."""

    device_id: str
    cert_file: str
    key_file: str
    topic: str | None = None

    @property
    def publish_topic(self) -> str:
        return self.topic or device_topic(self.device_id)


@dataclass
class FleetConfig:
    """Everything a run needs. ``count`` (per device) wins over ``duration``."""

    host: str
    port: int
    devices: list[DeviceSpec]
    ca_file: str | None = None
    interval: float = 1.0
    count: int | None = None
    duration: float | None = 10.0
    qos: int = 1
    seed: int = 0
    insecure_hostname: bool = False
    max_publish_rate: float = AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION
    max_connect_rate: float = AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT
    stagger: float | None = None  # spread device starts over this many seconds (default interval)
    max_inflight: int = 20
    keepalive: int = 30
    connect_timeout: float = 10.0
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    backoff_min: float = 1.0
    drain_timeout: float = 60.0
    start_time: int | None = None  # virtual clock: timestamps start here, step max(1, interval)
    sensors: tuple[str, ...] = ALL_SENSORS
    missing_rate: float = 0.0
    spike_rate: float = 0.005
    max_pending: int = 100_000
    connect_workers: int = 4
    progress_interval: float = 5.0
    progress: ProgressFn | None = None

    def messages_per_device(self) -> int:
        if self.count is not None:
            return max(0, int(self.count))
        if self.duration is not None:
            return max(1, int(round(self.duration / self.interval)))
        raise ValueError("give count or duration")

    @property
    def expected_messages(self) -> int:
        return self.messages_per_device() * len(self.devices)

    @property
    def target_rate(self) -> float:
        return len(self.devices) / self.interval if self.interval > 0 else 0.0


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


class FleetRunner:
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

    # ------------------------------------------------------------------ TLS
    def _ssl_context(self, spec: DeviceSpec) -> ssl.SSLContext:
        key = (
            spec.cert_file,
            spec.key_file,
            self.cfg.ca_file,
            self.cfg.insecure_hostname,
        )
        ctx = self._ssl_cache.get(key)
        if ctx is None:
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.cfg.ca_file)
            if self.cfg.insecure_hostname:
                # The local emulator's server certificate names the emulator host; the chain
                # is still verified against --ca.
                ctx.check_hostname = False
            ctx.load_cert_chain(spec.cert_file, spec.key_file)
            self._ssl_cache[key] = ctx
        return ctx

    # ------------------------------------------------------------------ socket glue
    def _attach_socket(self, dev: _Device, client: mqtt.Client) -> None:
        loop = self._loop
        assert loop is not None
        sock = client.socket()
        if sock is None:
            return
        dev.sock = sock

        def on_open(c: mqtt.Client, ud: Any, s: Any) -> None:
            loop.add_reader(s, c.loop_read)

        def on_close(c: mqtt.Client, ud: Any, s: Any) -> None:
            for remove in (loop.remove_reader, loop.remove_writer):
                try:
                    remove(s)
                except (ValueError, OSError):
                    pass

        def on_reg(c: mqtt.Client, ud: Any, s: Any) -> None:
            loop.add_writer(s, c.loop_write)

        def on_unreg(c: mqtt.Client, ud: Any, s: Any) -> None:
            try:
                loop.remove_writer(s)
            except (ValueError, OSError):
                pass

        client.on_socket_open = on_open
        client.on_socket_close = on_close
        client.on_socket_register_write = on_reg
        client.on_socket_unregister_write = on_unreg
        loop.add_reader(sock, client.loop_read)
        if client.want_write():
            loop.add_writer(sock, client.loop_write)

    # ------------------------------------------------------------------ connection
    async def _connect(self, dev: _Device, executor: ThreadPoolExecutor) -> bool:
        loop = self._loop
        assert loop is not None
        cfg = self.cfg
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=dev.spec.device_id,
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        client.tls_set_context(self._ssl_context(dev.spec))
        if cfg.insecure_hostname:
            client.tls_insecure_set(True)
        client.max_inflight_messages_set(max(1, cfg.max_inflight))
        client.max_queued_messages_set(0)
        client.connect_timeout = cfg.connect_timeout
        connack: asyncio.Future[bool] = loop.create_future()

        def on_connect(c: mqtt.Client, ud: Any, flags: Any, rc: Any, props: Any) -> None:
            if not connack.done():
                connack.set_result(not rc.is_failure)

        def on_disconnect(c: mqtt.Client, ud: Any, flags: Any, rc: Any, props: Any) -> None:
            if not connack.done():
                connack.set_result(False)
            if dev.client is c:
                self._lost(dev)

        def on_publish(c: mqtt.Client, ud: Any, mid: int, rc: Any, props: Any) -> None:
            if dev.client is c:
                self._acked(dev, mid)

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_publish = on_publish
        try:
            rc = await loop.run_in_executor(
                executor, client.connect, cfg.host, cfg.port, cfg.keepalive
            )
        except (OSError, ssl.SSLError, ValueError):
            self.connect_failures += 1
            self._close_quietly(client)
            return False
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.connect_failures += 1
            self._close_quietly(client)
            return False
        dev.client = client
        self._attach_socket(dev, client)
        try:
            ok = await asyncio.wait_for(asyncio.shield(connack), cfg.connect_timeout)
        except asyncio.TimeoutError:
            ok = False
        if not ok:
            self.connect_failures += 1
            dev.client = None
            self._close_quietly(client)
            return False
        dev.connected = True
        self.connects += 1
        return True

    def _close_quietly(self, client: mqtt.Client) -> None:
        """Send DISCONNECT if possible; always unregister and close the socket."""
        try:
            if client.socket() is not None:
                client.disconnect()
                client.loop_write()  # paho closes the socket after writing DISCONNECT
        except Exception:  # noqa: BLE001 - already broken
            pass
        sock = client.socket()
        if sock is None:
            return
        loop = self._loop
        if loop is not None:
            for remove in (loop.remove_reader, loop.remove_writer):
                try:
                    remove(sock)
                except (ValueError, OSError):
                    pass
        try:
            sock.close()
        except OSError:
            pass

    def _lost(self, dev: _Device) -> None:
        if dev.connected:
            self.disconnects += 1
        dev.connected = False
        dev.client = None
        dev.queue.requeue_inflight()
        dev.wakeup.set()

    def _acked(self, dev: _Device, mid: int) -> None:
        msg = dev.queue.acked(mid)
        if msg is None:
            return
        msg.acked_wall = time.time()
        msg.ack_latency_ms = (time.monotonic() - msg.last_sent_mono) * 1000.0
        dev.wakeup.set()

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

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            for dev in self.devices:
                client = dev.client
                if client is None:
                    continue
                try:
                    client.loop_misc()
                    sock = client.socket()
                    if isinstance(sock, ssl.SSLSocket) and sock.pending():
                        client.loop_read()
                except (OSError, ValueError):
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


def fleet_from_certs(
    certs_dir: Path | str, thing_names: list[str]
) -> tuple[list[DeviceSpec], dict[str, Any]]:
    """DeviceSpecs from ``certs/<thing>/thing.json`` (written by wio-provision), and the first
    thing's connection info (mqtt_host, mqtt_port, ca path)."""
    specs: list[DeviceSpec] = []
    conn: dict[str, Any] = {}
    for name in thing_names:
        d = Path(certs_dir) / name
        try:
            info = json.loads((d / "thing.json").read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise FileNotFoundError(
                f"{d / 'thing.json'} not found: provision it first (wio-provision {name})"
            ) from e
        specs.append(
            DeviceSpec(
                device_id=info["thing_name"],
                cert_file=str(d / info.get("certificate_file", "certificate.pem.crt")),
                key_file=str(d / info.get("private_key_file", "private.pem.key")),
                topic=info.get("topic"),
            )
        )
        if not conn:
            conn = {
                "host": info.get("mqtt_host") or info["endpoint"],
                "port": int(info.get("mqtt_port") or info.get("port") or 8883),
                "ca_file": str(d / info.get("ca_file", "AmazonRootCA1.pem")),
                "insecure_hostname": bool(info.get("insecure_hostname", False)),
                "local": bool(info.get("local", False)),
            }
    return specs, conn


def is_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return all(i[4][0] in ("127.0.0.1", "::1") or str(i[4][0]).startswith("127.") for i in infos)
