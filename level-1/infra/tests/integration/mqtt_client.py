"""A small synchronous MQTT/mTLS publisher for tests that need raw payloads.

The simulator only sends valid readings; bad-input tests need to send any bytes.
Client id = thing name, as the device policy requires on AWS.
"""

from __future__ import annotations

import ssl
import threading
import time
from pathlib import Path
from types import TracebackType

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode


class MqttRefused(RuntimeError):
    """The broker refused or dropped the connection."""


class RawPublisher:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        client_id: str,
        ca_path: Path,
        cert_path: Path,
        key_path: Path,
        insecure_hostname: bool,
        timeout: float = 15.0,
    ) -> None:
        self.timeout = timeout
        self.host, self.port = host, port
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.tls_set(
            ca_certs=str(ca_path),
            certfile=str(cert_path),
            keyfile=str(key_path),
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        # MiniStack's server certificate names the emulator's host, not 127.0.0.1.
        self.client.tls_insecure_set(insecure_hostname)
        self._connected = threading.Event()
        self._disconnected = threading.Event()
        self._connect_rc: ReasonCode | None = None
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(
        self, client: mqtt.Client, ud: object, flags: object, rc: ReasonCode, props: object
    ) -> None:
        self._connect_rc = rc
        if not rc.is_failure:
            self._connected.set()
        else:
            self._disconnected.set()

    def _on_disconnect(
        self, client: mqtt.Client, ud: object, flags: object, rc: ReasonCode, props: object
    ) -> None:
        self._connected.clear()
        self._disconnected.set()

    def connect(self) -> RawPublisher:
        self._disconnected.clear()
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except (OSError, ssl.SSLError) as exc:
            raise MqttRefused(f"connect failed: {exc}") from exc
        self.client.loop_start()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._connected.is_set():
                return self
            if self._disconnected.is_set():
                break
            time.sleep(0.02)
        self.client.loop_stop()
        raise MqttRefused(f"not connected (reason {self._connect_rc})")

    def publish(self, topic: str, payload: bytes | str) -> None:
        """Publish with QoS 1 and wait for the PUBACK."""
        info = self.client.publish(topic, payload, qos=1)
        try:
            info.wait_for_publish(timeout=self.timeout)
        except (RuntimeError, ValueError) as exc:
            raise MqttRefused(f"publish failed: {exc}") from exc
        if not info.is_published():
            raise MqttRefused(f"no PUBACK within {self.timeout}s")

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_disconnected(self, timeout: float) -> bool:
        return self._disconnected.wait(timeout)

    def close(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def __enter__(self) -> RawPublisher:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
