"""One device's MQTT/mTLS connection, with paho-mqtt driven by the asyncio loop.

paho's own network loop uses ``select()`` (no descriptors above 1024), so each client's socket is
registered with the asyncio loop instead, which calls ``loop_read``/``loop_write``; a ticker calls
``loop_misc`` for keepalives. The TCP connect and the TLS handshake run on the loop too
(non-blocking), and paho adopts the ready socket.

Per message this is the hot path, so it is kept lean (see LOAD_TESTING.md, "Where the time
goes"): no ``on_socket_register_write`` callback, so paho writes a PUBLISH straight away
and a writer is registered only when the socket would block; PUBACKs are decoded without
building paho's ``ReasonCode``/``Properties`` objects (:class:`LeanClient`); after a read the
TLS buffer is drained so no ack waits for the next packet.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from .config import MQTT_V5, DeviceSpec, FleetConfig
from .device import _Device
from .realism import link_up_time

_PUBACK_OK = ReasonCode(PacketTypes.PUBACK)
_NO_PROPERTIES = Properties(PacketTypes.PUBACK)  # type: ignore[no-untyped-call]
_OK = MQTTErrorCode.MQTT_ERR_SUCCESS


class LeanClient(mqtt.Client):
    """paho's client with a cheap PUBACK path: a successful PUBACK reuses one shared
    ``ReasonCode``/``Properties`` pair; anything else takes paho's own decoding. It also
    adopts a socket whose TLS handshake the asyncio loop already did (``adopt``)."""

    _adopted: Any = None

    def adopt(self, sock: ssl.SSLSocket) -> None:
        self._adopted = sock

    def _create_socket(self) -> Any:
        sock, self._adopted = self._adopted, None
        return sock if sock is not None else super()._create_socket()

    def _handle_pubackcomp(self, cmd: Any) -> MQTTErrorCode:
        packet = self._in_packet["packet"]
        v5 = self._protocol == mqtt.MQTTv5
        if cmd != "PUBACK" or len(packet) < 2 or (len(packet) > 2 and (not v5 or packet[2])):
            return super()._handle_pubackcomp(cmd)
        mid = (packet[0] << 8) | packet[1]
        with self._out_message_mutex:
            if mid in self._out_messages:
                return self._do_on_publish(mid, _PUBACK_OK, _NO_PROPERTIES)
        return _OK


class FleetConnections:
    """TLS contexts, socket glue and connect/disconnect handling; ``FleetRunner`` sets the state."""

    cfg: FleetConfig
    devices: list[_Device]
    _loop: asyncio.AbstractEventLoop | None
    connects: int
    connect_failures: int
    disconnects: int
    refused: int

    # ------------------------------------------------------------------ hooks (FleetRunner)
    def _drain(self, dev: _Device) -> None:
        raise NotImplementedError

    def _acked(self, dev: _Device, mid: int, refused: bool) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ TLS
    def _ssl_context(self, spec: DeviceSpec) -> ssl.SSLContext:
        """One context per device (its own certificate); made in the connect thread."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.cfg.ca_file)
        if self.cfg.insecure_hostname:
            # The local emulator's server certificate names the emulator host; the chain
            # is still verified against --ca.
            ctx.check_hostname = False
        ctx.load_cert_chain(spec.cert_file, spec.key_file)
        return ctx

    # ------------------------------------------------------------------ socket glue
    def _attach_socket(self, dev: _Device, client: mqtt.Client) -> None:
        loop = self._loop
        assert loop is not None
        sock = client.socket()
        if sock is None:
            return
        dev.sock = sock
        dev.writing = False

        def on_readable() -> None:
            client.loop_read()
            for _ in range(64):  # PUBACKs already decrypted into the TLS buffer
                s = client.socket()
                if not (isinstance(s, ssl.SSLSocket) and s.pending()):
                    break
                client.loop_read()
            if dev.kick:
                dev.kick = False
                if dev.client is client:
                    self._drain(dev)
            self._flush(dev, client)

        def on_close(c: mqtt.Client, ud: Any, s: Any) -> None:
            for remove in (loop.remove_reader, loop.remove_writer):
                try:
                    remove(s)
                except (ValueError, OSError):
                    pass
            dev.writing = False

        client.on_socket_close = on_close
        loop.add_reader(sock, on_readable)
        self._flush(dev, client)

    def _flush(self, dev: _Device, client: mqtt.Client) -> None:
        """Register a writer only while paho has bytes the socket did not take."""
        loop = self._loop
        assert loop is not None
        sock = client.socket()
        if sock is None:
            return
        if client.want_write():
            if not dev.writing:
                dev.writing = True

                def on_writable() -> None:
                    client.loop_write()
                    if not client.want_write() and dev.writing:
                        dev.writing = False
                        try:
                            loop.remove_writer(sock)
                        except (ValueError, OSError):
                            pass

                loop.add_writer(sock, on_writable)
        elif dev.writing:
            dev.writing = False
            try:
                loop.remove_writer(sock)
            except (ValueError, OSError):
                pass

    # ------------------------------------------------------------------ connection
    def _new_client(self, dev: _Device) -> LeanClient:
        cfg = self.cfg
        v5 = cfg.protocol == MQTT_V5
        client = LeanClient(
            CallbackAPIVersion.VERSION2,
            client_id=dev.spec.device_id,
            clean_session=None if v5 else True,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        )
        client.max_inflight_messages_set(max(1, cfg.max_inflight))
        client.max_queued_messages_set(0)
        client.connect_timeout = cfg.connect_timeout
        return client

    def prepare_tls(self) -> None:
        """Build every device's TLS context before the run starts (about 1.5 ms of CPU each,
        mostly parsing the key and certificate), so the ramp-up only does handshakes."""
        for dev in self.devices:
            if dev.ssl_context is None:
                dev.ssl_context = self._ssl_context(dev.spec)

    async def _wait_io(self, sock: socket.socket, write: bool) -> None:
        loop = self._loop
        assert loop is not None
        ready: asyncio.Future[None] = loop.create_future()
        add, remove = (loop.add_writer, loop.remove_writer) if write else (
            loop.add_reader, loop.remove_reader)  # fmt: skip

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        add(sock, wake)
        try:
            await ready
        finally:
            remove(sock)

    async def _open_tls(self, dev: _Device) -> ssl.SSLSocket:
        """TCP connect and TLS handshake on the loop, without threads: a thread per handshake
        fights the loop for the GIL at every round trip, which made connects 10-50x slower."""
        loop = self._loop
        assert loop is not None
        cfg = self.cfg
        if dev.ssl_context is None:
            dev.ssl_context = self._ssl_context(dev.spec)
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setblocking(False)
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            addr = (await loop.getaddrinfo(cfg.host, cfg.port, type=socket.SOCK_STREAM))[0][4]
            if raw.family != socket.AF_INET or ":" in str(addr[0]):
                raw.close()
                raw = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
                raw.setblocking(False)
            await loop.sock_connect(raw, addr)
            tls = dev.ssl_context.wrap_socket(
                raw, server_hostname=cfg.host, do_handshake_on_connect=False
            )
        except BaseException:
            raw.close()
            raise
        try:
            for _ in range(1000):
                try:
                    tls.do_handshake()
                    return tls
                except ssl.SSLWantReadError:
                    await self._wait_io(tls, write=False)
                except ssl.SSLWantWriteError:
                    await self._wait_io(tls, write=True)
            raise ssl.SSLError("TLS handshake did not finish")
        except BaseException:
            tls.close()
            raise

    async def _start_mqtt(self, client: LeanClient, dev: _Device) -> MQTTErrorCode:
        cfg = self.cfg
        tls = await asyncio.wait_for(self._open_tls(dev), cfg.connect_timeout)
        client.tls_set_context(dev.ssl_context)
        if cfg.insecure_hostname:
            client.tls_insecure_set(True)
        client.adopt(tls)
        if cfg.protocol == MQTT_V5:
            return client.connect(cfg.host, cfg.port, cfg.keepalive, clean_start=True)
        return client.connect(cfg.host, cfg.port, cfg.keepalive)

    async def _connect(self, dev: _Device) -> bool:
        loop = self._loop
        assert loop is not None
        cfg = self.cfg
        client = self._new_client(dev)
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
                self._acked(dev, mid, rc is not _PUBACK_OK and rc.is_failure)

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_publish = on_publish
        if cfg.subscribe_alerts:
            client.on_message = lambda c, ud, m: self._alert(dev, bytes(m.payload))
        t0 = time.monotonic()
        try:
            rc = await self._start_mqtt(client, dev)
        except (OSError, ssl.SSLError, ValueError, asyncio.TimeoutError):
            rc = MQTTErrorCode.MQTT_ERR_UNKNOWN
        if rc != _OK:
            self.connect_failures += 1
            self._close_quietly(client)
            return False
        dev.client = client
        self._attach_socket(dev, client)
        try:
            ok = await asyncio.wait_for(asyncio.shield(connack), cfg.connect_timeout)
        except asyncio.TimeoutError:
            ok = False
        if not ok or dev.client is not client:
            self.connect_failures += 1
            dev.client = None
            self._close_quietly(client)
            return False
        dev.connect_ms.append((time.monotonic() - t0) * 1000.0)
        dev.connected = True
        dev.connects += 1
        self.connects += 1
        if cfg.subscribe_alerts:
            client.subscribe(dev.alerts_topic, qos=1)
            self._flush(dev, client)
        if dev.profile.flaky:
            delay = link_up_time(cfg.flaky_mean_up_s, dev.rng)
            dev.drop_timer = loop.call_later(delay, self._drop_link, dev, client)
        return True

    def _alert(self, dev: _Device, payload: bytes) -> None:
        dev.alerts += 1
        out = self.cfg.alert_out
        if out is not None:
            text = payload.decode("utf-8", "replace") if payload else "(cleared)"
            out(f"[alert] {dev.spec.device_id} {text}")

    def _drop_link(self, dev: _Device, client: mqtt.Client) -> None:
        """A flaky link goes away: the socket dies without an MQTT DISCONNECT."""
        if dev.client is not client or not dev.connected:
            return
        dev.link_drops += 1
        sock = client.socket()
        try:
            if isinstance(sock, socket.socket):
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

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
        for timer in (dev.drain_timer, dev.drop_timer):
            if timer is not None:
                timer.cancel()
        dev.drain_timer = dev.drop_timer = None
        dev.queue.requeue_inflight()
        dev.wakeup.set()

    # ------------------------------------------------------------------ keepalives
    async def _ticker(self) -> None:
        period = min(5.0, max(0.5, self.cfg.keepalive / 6.0))
        while True:
            await asyncio.sleep(period)
            for dev in self.devices:
                client = dev.client
                if client is None:
                    continue
                try:
                    client.loop_misc()
                    self._flush(dev, client)
                except (OSError, ValueError):
                    pass
