"""Deterministic, realistic Wio Terminal readings that match sensor-payload.schema.json.

A room in Japan: temperature and humidity follow a daily cycle in JST (warmest around
14:00, humidity the other way round), with Gaussian noise, a slow drift and rare spikes
(a heater, a window opened, a hand on the sensor). The built-in light sensor reads daylight
between sunrise and sunset, a lamp on some evenings and near darkness at night.

Everything comes from ``random.Random`` seeded by (seed, device_id), so the same seed gives
the same readings for the same timestamps and sequence numbers on every machine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from wio_contract.fields import CONTRACT

JST_OFFSET_S = 9 * 3600
SECONDS_PER_DAY = 86400


def _bounds(name: str) -> tuple[float, float]:
    """A field's range from the payload contract (sensor-payload.schema.json)."""
    f = CONTRACT.field(name)
    assert f.minimum is not None and f.maximum is not None, name
    return f.minimum, f.maximum


TEMP_MIN, TEMP_MAX = _bounds("temperature")
HUM_MIN, HUM_MAX = _bounds("humidity")
LIGHT_MIN, LIGHT_MAX = _bounds("light")
RSSI_MIN, RSSI_MAX = _bounds("rssi")
SEQ_MAX = int(_bounds("seq")[1])
TIMESTAMP_MIN = int(_bounds("timestamp")[0])

ALL_SENSORS = ("temperature", "humidity", "light", "rssi")


def jst_hour(timestamp: int) -> float:
    """Hour of day in JST (0.0 … 24.0) for an epoch-seconds timestamp."""
    return ((timestamp + JST_OFFSET_S) % SECONDS_PER_DAY) / 3600.0


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def round1(value: float) -> float:
    """Round to 0.1 (the schema's resolution), avoiding -0.0."""
    r = round(value + 0.0, 1)
    return 0.0 if r == 0 else r


@dataclass
class ReadingGenerator:
    """Readings for one device. Call :meth:`reading` with increasing timestamps."""

    device_id: str
    seed: int = 0
    sensors: tuple[str, ...] = ALL_SENSORS
    missing_rate: float = 0.0  # probability that one sensor read fails and is omitted
    spike_rate: float = 0.005
    _rng: random.Random = field(init=False, repr=False)
    _base_temp: float = field(init=False)
    _temp_amp: float = field(init=False)
    _base_hum: float = field(init=False)
    _hum_amp: float = field(init=False)
    _light_peak: float = field(init=False)
    _lamp: float = field(init=False)
    _drift: float = field(init=False, default=0.0)
    _rssi: float = field(init=False)

    def __post_init__(self) -> None:
        unknown = set(self.sensors) - set(ALL_SENSORS)
        if unknown:
            raise ValueError(f"unknown sensors {sorted(unknown)}; known: {ALL_SENSORS}")
        self._rng = random.Random(f"{self.seed}:{self.device_id}")
        rng = self._rng
        self._base_temp = rng.uniform(19.0, 25.0)
        self._temp_amp = rng.uniform(2.0, 4.5)
        self._base_hum = rng.uniform(45.0, 65.0)
        self._hum_amp = rng.uniform(6.0, 12.0)
        self._light_peak = rng.uniform(450.0, 900.0)
        self._lamp = rng.uniform(180.0, 380.0)
        self._rssi = rng.uniform(-75.0, -50.0)

    def reading(self, timestamp: int, seq: int) -> dict[str, Any]:
        """One payload dict: device_id, timestamp, the present sensors, seq."""
        rng = self._rng
        hour = jst_hour(timestamp)
        # Daily cycle: cosine with its maximum at 14:00 JST.
        phase = math.cos((hour - 14.0) / 24.0 * 2.0 * math.pi)
        self._drift = _clamp(self._drift + rng.gauss(0.0, 0.02), -1.5, 1.5)
        temp = self._base_temp + self._temp_amp * phase + self._drift + rng.gauss(0.0, 0.15)
        hum = self._base_hum - self._hum_amp * phase - 2.0 * self._drift + rng.gauss(0.0, 0.6)
        if rng.random() < self.spike_rate:
            temp += rng.choice((-1.0, 1.0)) * rng.uniform(4.0, 9.0)
        if rng.random() < self.spike_rate:
            hum += rng.choice((-1.0, 1.0)) * rng.uniform(10.0, 25.0)
        # Light: daylight 06:00–18:00 JST as a sine arch; a lamp 18:00–23:00 on most evenings.
        if 6.0 <= hour < 18.0:
            light = self._light_peak * math.sin((hour - 6.0) / 12.0 * math.pi) + 40.0
            light *= rng.uniform(0.85, 1.05)  # clouds
        elif 18.0 <= hour < 23.0 and rng.random() < 0.9:
            light = self._lamp + rng.gauss(0.0, 10.0)
        else:
            light = rng.uniform(0.0, 12.0)
        self._rssi = _clamp(self._rssi + rng.gauss(0.0, 1.0), -90.0, -35.0)

        values: dict[str, Any] = {
            "temperature": round1(_clamp(temp, TEMP_MIN, TEMP_MAX)),
            "humidity": round1(_clamp(hum, HUM_MIN, HUM_MAX)),
            "light": int(_clamp(round(light), LIGHT_MIN, LIGHT_MAX)),
            "rssi": int(_clamp(round(self._rssi), RSSI_MIN, RSSI_MAX)),
        }
        payload: dict[str, Any] = {
            "device_id": self.device_id,
            "timestamp": int(timestamp),
        }
        for name in ALL_SENSORS:
            failed = self.missing_rate > 0 and rng.random() < self.missing_rate
            if name in self.sensors and not failed:
                payload[name] = values[name]
        payload["seq"] = int(seq) & SEQ_MAX
        return payload


def payload_size(payload: dict[str, Any]) -> int:
    """Bytes on the wire for the compact JSON the simulator publishes."""
    import json

    return len(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
