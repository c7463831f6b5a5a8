"""Compact JSON for a reading, from a per-device template when the reading has the usual keys.

``json.dumps`` walks the dict and escapes every string each time; a reading has the same
keys in the same order every time and only numbers change, so the device's prefix is made
once and the numbers are formatted straight in (``repr`` of a float is what ``json`` writes).
Anything unusual (a missing sensor, a device id that would need escaping, a non-finite
number) goes through ``json.dumps``, so the bytes are always exactly what ``json.dumps(...,
separators=(",", ":"))`` gives.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_PLAIN_ID = re.compile(r"[A-Za-z0-9_.:\-]+")
_KEYS = ("device_id", "timestamp", "temperature", "humidity", "light", "rssi", "seq")


def dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


class PayloadTemplate:
    def __init__(self, device_id: str) -> None:
        self.device_id = device_id
        self._prefix = f'{{"device_id":"{device_id}","timestamp":'
        self._usable = bool(_PLAIN_ID.fullmatch(device_id))

    def encode(self, p: dict[str, Any]) -> bytes:
        if not self._usable or tuple(p) != _KEYS or p["device_id"] != self.device_id:
            return dumps(p)
        t, h = p["temperature"], p["humidity"]
        if not (type(t) is float and type(h) is float and math.isfinite(t) and math.isfinite(h)):
            return dumps(p)
        light, rssi, ts, seq = p["light"], p["rssi"], p["timestamp"], p["seq"]
        if not all(type(v) is int for v in (light, rssi, ts, seq)):
            return dumps(p)
        return (
            f'{self._prefix}{ts},"temperature":{t!r},"humidity":{h!r},"light":{light},'
            f'"rssi":{rssi},"seq":{seq}}}'
        ).encode("ascii")
