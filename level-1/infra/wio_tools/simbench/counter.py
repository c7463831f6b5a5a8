"""The subscriber that counts every reading the broker delivers, in a process of its own.

It connects with its own certificate (ACL: read ``device/+/data``), subscribes at QoS 1, and
keeps, per distinct payload, how often it arrived and when it first did. One client keeps up
with about 10,000 msg/s here; with ``clients > 1`` they share one subscription
(``$share/simbench/device/+/data``), so the broker spreads the readings over them.
Its process is not the simulator's, so its CPU is not counted as the simulator's.
"""

from __future__ import annotations

import multiprocessing
import ssl
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from wio_tools.simbench.broker import HOST

Received = dict[bytes, list[float]]  # payload -> [deliveries, first arrival (epoch ms)]
_DATA = "device/+/data"


@dataclass(frozen=True)
class CounterSpec:
    port: int
    ca: str
    cert: str
    key: str
    clients: int = 1


def _run(spec: CounterSpec, conn: Connection, count: Any, ready: Any, stop: Any) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    received: Received = {}
    lock = threading.Lock()
    subscribed = threading.Semaphore(0)
    topic = _DATA if spec.clients == 1 else f"$share/simbench/{_DATA}"

    def on_message(c: Any, ud: Any, msg: Any) -> None:
        now = time.time() * 1000.0
        with lock:
            rec = received.get(msg.payload)
            if rec is None:
                received[msg.payload] = [1, now]
            else:
                rec[0] += 1
            count.value += 1

    clients = []
    for k in range(spec.clients):
        # A persistent session: across a broker restart the broker keeps the subscription
        # and queues what arrives until the counter is back.
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"simbench-counter-{k}", clean_session=False
        )
        c.reconnect_delay_set(min_delay=1, max_delay=2)
        ctx = ssl.create_default_context(cafile=spec.ca)
        ctx.load_cert_chain(spec.cert, spec.key)
        c.tls_set_context(ctx)
        c.max_inflight_messages_set(1000)
        c.on_message = on_message
        c.on_connect = lambda cl, ud, fl, rc, pr: cl.subscribe(topic, qos=1)
        c.on_subscribe = lambda *a: subscribed.release()
        c.connect(HOST, spec.port, keepalive=30)
        c.loop_start()
        clients.append(c)
    for _ in clients:
        if not subscribed.acquire(timeout=15):
            break
    else:
        ready.set()
    stop.wait(3600)
    for c in clients:
        c.disconnect()
        c.loop_stop()
    with lock:
        conn.send(received)
    conn.close()


class Counter:
    """``with Counter(spec) as counter: ...; received = counter.stop()``."""

    def __init__(self, spec: CounterSpec) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._parent, child = ctx.Pipe(duplex=False)
        self._count = ctx.Value("q", 0)
        self._ready = ctx.Event()
        self._stop = ctx.Event()
        self._proc = ctx.Process(
            target=_run,
            args=(spec, child, self._count, self._ready, self._stop),
            name="simbench-counter",
            daemon=True,
        )
        self._proc.start()
        self._received: Received | None = None
        if not self._ready.wait(30):
            self.kill()
            raise RuntimeError("the counting subscriber did not subscribe within 30 s")

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    @property
    def count(self) -> int:
        return int(self._count.value)

    def wait_settled(self, expected: int, timeout: float, quiet_s: float = 2.0) -> float:
        """Wait until ``expected`` deliveries arrived, or none for ``quiet_s``; seconds waited."""
        t0 = time.monotonic()
        last, last_change = self.count, t0
        while time.monotonic() - t0 < timeout:
            now_count = self.count
            if now_count >= expected:
                break
            if now_count != last:
                last, last_change = now_count, time.monotonic()
            elif time.monotonic() - last_change >= quiet_s:
                break
            time.sleep(0.1)
        return time.monotonic() - t0

    def stop(self) -> Received:
        if self._received is None:
            self._stop.set()
            if self._parent.poll(60):
                self._received = self._parent.recv()
            else:
                self._received = {}
            self._proc.join(10)
            self.kill()
        return self._received

    def kill(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(5)

    def __enter__(self) -> Counter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
