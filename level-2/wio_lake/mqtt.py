"""A small MQTT/mTLS client of one simulated device: publish readings, receive its alerts."""

from __future__ import annotations

import json
import queue
import ssl
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class DeviceClient:
    """Connects as ``client_id`` (the thing name, as the device policy requires)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        client_id: str,
        ca_path: Path,
        cert_path: Path,
        key_path: Path,
        insecure_hostname: bool = False,
        timeout: float = 15.0,
    ) -> None:
        self.timeout = timeout
        self.host, self.port = host, port
        self.messages: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.tls_set(
            ca_certs=str(ca_path),
            certfile=str(cert_path),
            keyfile=str(key_path),
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        self.client.tls_insecure_set(insecure_hostname)
        self.client.on_connect = lambda c, u, f, rc, p: self._connected.set()
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        self.client.on_message = self._on_message

    @classmethod
    def for_credentials(cls, creds: Any, ca_path: Path | None = None) -> DeviceClient:
        """From ``wio_tools.provision.DeviceCredentials``."""
        return cls(
            host=creds.mqtt_host,
            port=creds.mqtt_port,
            client_id=creds.thing_name,
            ca_path=ca_path or creds.ca_path,
            cert_path=creds.cert_path,
            key_path=creds.key_path,
            insecure_hostname=creds.local,
        )

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.messages.put((message.topic, bytes(message.payload), bool(message.retain)))

    def __enter__(self) -> DeviceClient:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not self._connected.wait(self.timeout):
            self.close()
            raise RuntimeError(f"MQTT connect to {self.host}:{self.port} timed out")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish_json(self, topic: str, document: dict[str, Any]) -> None:
        info = self.client.publish(topic, json.dumps(document), qos=1)
        info.wait_for_publish(self.timeout)

    def subscribe(self, topic: str) -> None:
        self._subscribed.clear()
        self.client.subscribe(topic, qos=1)
        if not self._subscribed.wait(self.timeout):
            raise RuntimeError(f"subscribe to {topic} timed out")

    def next_message(self, timeout: float) -> tuple[str, bytes, bool] | None:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None
