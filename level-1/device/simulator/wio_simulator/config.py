"""What a fleet run is: its devices (:class:`DeviceSpec`) and settings (:class:`FleetConfig`).

``fleet_from_certs`` builds the devices from the folders that wio-provision writes.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .board import BOARD_BACKOFF_JITTER, BOARD_MQTT_BACKOFF_BASE_S, BOARD_MQTT_BACKOFF_CAP_S
from .flow import (
    AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
    AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
)
from .readings import ALL_SENSORS

ProgressFn = Callable[[str], None]
MQTT_V311 = 4
MQTT_V5 = 5


def device_topic(device_id: str) -> str:
    return f"device/{device_id}/data"


def alerts_topic(device_id: str) -> str:
    return f"device/{device_id}/alerts"


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
    # Reconnect backoff: the board's own (wio_simulator.board, from the firmware headers).
    backoff_base: float = BOARD_MQTT_BACKOFF_BASE_S
    backoff_cap: float = BOARD_MQTT_BACKOFF_CAP_S
    backoff_min: float = 1.0
    backoff_jitter: str = BOARD_BACKOFF_JITTER
    drain_timeout: float = 60.0
    start_time: int | None = None  # virtual clock: timestamps start here, step max(1, interval)
    sensors: tuple[str, ...] = ALL_SENSORS
    missing_rate: float = 0.0
    spike_rate: float = 0.005
    max_pending: int = 100_000
    connect_workers: int = 16  # connects in progress at once (TCP + TLS on the loop)
    progress_interval: float = 5.0
    progress: ProgressFn | None = None
    protocol: int = MQTT_V311  # MQTT_V5: the broker's PUBACK says when it refused a publish
    # A realistic fleet (wio_simulator.realism): each 0 = off.
    interval_jitter: float = 0.0  # each interval is interval * uniform(1 - j, 1 + j)
    flaky_share: float = 0.0  # this share of devices loses its link now and then
    flaky_mean_up_s: float = 20.0  # mean seconds a flaky link stays up (exponential)
    clock_skew_s: float = 0.0  # each device's clock is off by uniform(-s, s), whole seconds
    # Alerts: subscribe to device/<thing>/alerts (QoS 1) and hand each one to alert_out.
    subscribe_alerts: bool = False
    alert_out: ProgressFn | None = None
    # Multi-process runs (wio_simulator.workers): where this part sits in the whole fleet.
    index_base: int = 0  # device i of this part is device index_base + i * index_stride
    index_stride: int = 1
    fleet_size: int | None = None
    start_wall: float | None = None  # epoch seconds at which device 0 starts (default: now)

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
    def total_devices(self) -> int:
        return self.fleet_size or len(self.devices)

    @property
    def start_spread(self) -> float:
        return self.interval if self.stagger is None else self.stagger

    @property
    def target_rate(self) -> float:
        return len(self.devices) / self.interval if self.interval > 0 else 0.0


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
