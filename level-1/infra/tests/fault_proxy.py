"""A loopback TCP proxy that injects network faults between devices and the broker.

The fault tests put it between the simulator and MiniStack's MQTT/mTLS listener.
TLS passes through untouched (it only moves bytes), so the devices still do a
real mutual-TLS handshake with the broker. Listens on 127.0.0.1 only.

Controls, callable from any thread:
- ``drop_connections()``: reset every open connection (a Wi-Fi drop);
- ``set_refusing(True)``: close new connections at once (broker unreachable);
- ``set_stalled(True)``: stop forwarding bytes but keep sockets open (a dead link);
- ``set_delay(seconds)``: add latency to every chunk in both directions;
- ``set_loss(rate)``: packet loss as TCP sees it. A lost segment is not a hole in the stream:
  TCP sends it again after a retransmission timeout, and everything behind it waits. So each
  chunk is, with probability ``rate``, held back for ``retransmit_s`` (200 ms, Linux's minimum
  RTO) before it and the rest of that direction move on; the bytes stay intact, so TLS does.
"""

from __future__ import annotations

import asyncio
import random
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")
HOST = "127.0.0.1"
CHUNK = 65536


@dataclass
class ProxyStats:
    accepted: int = 0
    refused: int = 0
    dropped: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    retransmits: int = 0


@dataclass(eq=False)  # identity hash: links live in a set
class _Link:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class FaultProxy:
    """Runs its own event loop in a daemon thread; use as a context manager."""

    def __init__(self, upstream_port: int, *, upstream_host: str = HOST) -> None:
        if upstream_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy only forwards to loopback addresses")
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.port = 0
        self.stats = ProxyStats()
        self._delay = 0.0
        self._loss = 0.0
        self._retransmit_s = 0.2
        self._rng = random.Random(0)
        self._refusing = False
        self._stalled = asyncio.Event()
        self._links: set[_Link] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- controls
    def drop_connections(self) -> int:
        """Reset every open connection; returns how many were dropped."""
        return self._call(self._drop_all())

    def set_refusing(self, refusing: bool) -> None:
        self._refusing = refusing

    def set_stalled(self, stalled: bool) -> None:
        def apply() -> None:
            if stalled:
                self._stalled.set()
            else:
                self._stalled.clear()

        self._loop.call_soon_threadsafe(apply)

    def set_delay(self, seconds: float) -> None:
        self._delay = max(0.0, seconds)

    def set_loss(self, rate: float, retransmit_s: float = 0.2, seed: int = 0) -> None:
        self._loss = min(1.0, max(0.0, rate))
        self._retransmit_s = max(0.0, retransmit_s)
        self._rng = random.Random(seed)

    @property
    def open_connections(self) -> int:
        return len(self._links)

    # ------------------------------------------------------------ internals
    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result(timeout=30)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self._drop_all()

    async def _drop_all(self) -> int:
        links = list(self._links)
        for link in links:
            for writer in (link.client, link.upstream):
                transport = writer.transport
                if transport is not None:
                    transport.abort()  # RST-like: no graceful close, as a lost link
            for task in link.tasks:
                task.cancel()
        self._links.difference_update(links)
        self.stats.dropped += len(links)
        return len(links)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            self.stats.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            self.stats.refused += 1
            writer.transport.abort()
            return
        self.stats.accepted += 1
        link = _Link(client=writer, upstream=up_writer)
        self._links.add(link)
        link.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, upstream=True)),
            asyncio.create_task(self._pump(up_reader, writer, upstream=False)),
        ]
        await asyncio.gather(*link.tasks, return_exceptions=True)
        self._links.discard(link)
        for w in (writer, up_writer):
            w.close()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                while self._stalled.is_set():
                    await asyncio.sleep(0.05)
                if self._delay:
                    await asyncio.sleep(self._delay)
                if self._loss and self._rng.random() < self._loss:
                    self.stats.retransmits += 1
                    await asyncio.sleep(self._retransmit_s)
                # Count before writing, so a reader that has the bytes sees them counted.
                if upstream:
                    self.stats.bytes_up += len(data)
                else:
                    self.stats.bytes_down += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError, OSError):
            pass
        finally:
            if writer.transport is not None and not writer.transport.is_closing():
                writer.transport.abort()
