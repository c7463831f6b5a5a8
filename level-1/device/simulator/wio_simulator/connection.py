"""One device's MQTT/mTLS connection, with paho-mqtt driven by the asyncio loop.

paho's own network loop uses ``select()`` (no descriptors above 1024), so each client's socket is
registered with the asyncio loop instead (``on_socket_open``/``on_socket_close``/
``on_socket_register_write``/``on_socket_unregister_write``), which calls
``loop_read``/``loop_write``; a ticker calls ``loop_misc`` for keepalives. The blocking part of
``connect()`` (TCP connect and TLS handshake) runs in a thread pool. :class:`FleetConnections` is
the base class of :class:`~wio_simulator.runner.FleetRunner` that holds this part.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from .config import DeviceSpec, FleetConfig
from .device import _Device


class FleetConnections:
    """TLS contexts, socket glue and connect/disconnect handling; ``FleetRunner`` sets the state."""

    cfg: FleetConfig
    devices: list[_Device]
    _ssl_cache: dict[tuple[str, str, str | None, bool], ssl.SSLContext]
    _loop: asyncio.AbstractEventLoop | None
    connects: int
    connect_failures: int
    disconnects: int

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

    # ------------------------------------------------------------------ keepalives
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
