"""Value types shared by the detector, the forecaster, the CLI and the Lambda."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

#: The kinds of alert the detector emits.
KINDS = ("deviation", "stuck", "jump", "silent")

#: Hard limit for the payload published to the device (the Wio Terminal parses it with a small
#: static JSON buffer); :meth:`Alert.to_device_json` always stays below it.
DEVICE_JSON_LIMIT = 200

_MAX_ID = 16


@dataclass(frozen=True)
class Reading:
    """One sensor reading of one field: ``ts`` in epoch seconds (UTC), ``value`` in field units."""

    ts: int
    value: float


@dataclass(frozen=True)
class Alert:
    """One alert. ``field`` is None for "silent"; ``value``/``expected`` are None when unknown.

    ``score`` is kind specific: the robust z-score for "deviation", the jump in typical steps
    for "jump", the run length in readings for "stuck", the silence in multiples of the silent
    threshold for "silent".
    """

    ts: int
    kind: str
    field: str | None
    value: float | None
    expected: float | None
    score: float

    def to_dict(self) -> dict[str, Any]:
        """All attributes (for logs, the CLI and DynamoDB), with ``None`` values kept."""
        return {
            "ts": self.ts,
            "kind": self.kind,
            "field": self.field,
            "value": self.value,
            "expected": self.expected,
            "score": self.score,
        }

    def to_device_json(self, alert_id: str) -> str:
        """Compact JSON for the device, keys in a fixed order, no spaces, always < 200 bytes.

        ``{"id":"a1b2c3d4","ts":1764640000,"kind":"jump","field":"temperature","value":35.2,
        "expected":24.1}``: ``field`` is omitted for "silent"; ``value``/``expected`` are
        rounded to 0.1 and omitted when None or not finite. The id is cut to 16 characters and
        a long field name is cut until the payload fits.
        """
        field = None if self.kind == "silent" else self.field
        head = '{"id":%s,"ts":%d,"kind":%s' % (_js(alert_id[:_MAX_ID]), self.ts, _js(self.kind))
        tail = ""
        for key, number in (("value", self.value), ("expected", self.expected)):
            text = _num(number)
            if text is not None:
                tail += ',"%s":%s' % (key, text)
        tail += "}"
        if field is None:
            return head + tail
        name = field
        while True:
            out = head + ',"field":%s' % _js(name) + tail
            if len(out.encode("utf-8")) < DEVICE_JSON_LIMIT or not name:
                return out
            name = name[:-1]


def _js(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)


def _num(value: float | None) -> str | None:
    """A number rounded to 0.1 in its shortest form ("35.2", "-3.0", "1e+21"), or None."""
    if value is None or not math.isfinite(value):
        return None
    rounded = round(float(value), 1)
    if rounded == 0.0:
        rounded = 0.0  # no "-0.0"
    if abs(rounded) >= 1e15:
        return "%.6g" % rounded
    return repr(rounded)
