"""Inputs that a broken or hostile device might publish, and what must happen to each.

REJECTED: not stored; the rejected-messages rule delivers the exact bytes (base64) to the
dead-letter queue. STORED: stored, normalized as given. `{ts}` is replaced by a fresh valid
timestamp so that every case has its own table key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REJECTED = "rejected"
STORED = "stored"


@dataclass(frozen=True)
class Case:
    id: str
    payload: str | bytes
    outcome: str
    # For STORED cases: attributes the stored item must have (besides device_id/timestamp).
    stored: dict[str, Any] = field(default_factory=dict)


CORPUS: list[Case] = [
    # Not JSON, or not a JSON object
    Case("malformed-json", '{"timestamp": {ts}, "temperature": 2', REJECTED),
    Case("empty-payload", b"", REJECTED),
    Case("plain-text", "temperature=25.5", REJECTED),
    Case("json-array", "[{ts}, 25.5, 60.2]", REJECTED),
    Case("json-string", '"hello"', REJECTED),
    Case("json-number", "{ts}", REJECTED),
    Case("json-null", "null", REJECTED),
    Case("binary-garbage", b"\xff\xfe\x00\x81binary", REJECTED),
    # The timestamp (table sort key)
    Case("missing-timestamp", '{"temperature": 25.5}', REJECTED),
    Case("timestamp-text", '{"timestamp": "yesterday", "temperature": 25.5}', REJECTED),
    Case("timestamp-null", '{"timestamp": null, "temperature": 25.5}', REJECTED),
    Case("timestamp-bool", '{"timestamp": true, "temperature": 25.5}', REJECTED),
    Case("timestamp-object", '{"timestamp": {"s": {ts}}, "temperature": 25.5}', REJECTED),
    Case("timestamp-negative", '{"timestamp": -1, "temperature": 25.5}', REJECTED),
    Case("timestamp-zero-clock-unset", '{"timestamp": 0, "temperature": 25.5}', REJECTED),
    Case("timestamp-milliseconds", '{"timestamp": {ts}000, "temperature": 25.5}', REJECTED),
    Case("timestamp-far-future", '{"timestamp": 4102444800, "temperature": 25.5}', REJECTED),
    Case("timestamp-huge", '{"timestamp": 1e300, "temperature": 25.5}', REJECTED),
    Case(
        "timestamp-numeric-string",
        '{"timestamp": "{ts}", "temperature": 25.5}',
        STORED,
        {"temperature": 25.5},
    ),
    # Measurements
    Case("temperature-text", '{"timestamp": {ts}, "temperature": "hot"}', REJECTED),
    Case("temperature-NaN-token", '{"timestamp": {ts}, "temperature": NaN}', REJECTED),
    Case("temperature-NaN-text", '{"timestamp": {ts}, "temperature": "NaN"}', REJECTED),
    Case("temperature-Infinity-text", '{"timestamp": {ts}, "temperature": "Infinity"}', REJECTED),
    Case("temperature-huge", '{"timestamp": {ts}, "temperature": 1e308}', REJECTED),
    Case("temperature-overflow", '{"timestamp": {ts}, "temperature": 1e400}', REJECTED),
    Case("temperature-null", '{"timestamp": {ts}, "temperature": null}', REJECTED),
    Case("temperature-array", '{"timestamp": {ts}, "temperature": [25.5]}', REJECTED),
    Case("temperature-bool", '{"timestamp": {ts}, "temperature": false}', REJECTED),
    Case("temperature-below-range", '{"timestamp": {ts}, "temperature": -273.2}', REJECTED),
    Case("humidity-above-range", '{"timestamp": {ts}, "humidity": 150}', REJECTED),
    Case("humidity-negative", '{"timestamp": {ts}, "humidity": -0.5}', REJECTED),
    Case("light-above-range", '{"timestamp": {ts}, "light": 5000}', REJECTED),
    Case("light-text", '{"timestamp": {ts}, "light": "bright"}', REJECTED),
    Case(
        "numeric-strings-normalized",
        '{"timestamp": {ts}, "temperature": "25.5", "humidity": "60", "light": "300"}',
        STORED,
        {"temperature": 25.5, "humidity": 60, "light": 300},
    ),
    # Accepted with extras: the rule keeps unknown fields as they are
    Case(
        "unknown-extra-fields",
        '{"timestamp": {ts}, "temperature": 20.1, "firmware": "1.2.3", "boot": 7}',
        STORED,
        {"temperature": 20.1, "firmware": "1.2.3", "boot": 7},
    ),
    Case(
        "unicode-fields",
        '{"timestamp": {ts}, "temperature": 19.0, "location": "東京・研究室 🌡"}',
        STORED,
        {"temperature": 19.0, "location": "東京・研究室 🌡"},
    ),
    Case(
        "device-id-disagrees-with-topic",
        '{"device_id": "other-device", "timestamp": {ts}, "temperature": 22.0}',
        STORED,
        {"temperature": 22.0},
    ),
    # Kept as a map on AWS; MiniStack stores nested objects as JSON text, so only the
    # reading itself is asserted here.
    Case(
        "nested-object-extra",
        '{"timestamp": {ts}, "humidity": 40.5, "meta": {"sensor": "dht11", "ok": true}}',
        STORED,
        {"humidity": 40.5},
    ),
    Case("only-timestamp", '{"timestamp": {ts}}', STORED, {}),
]


def render(case: Case, ts: int) -> bytes:
    payload = case.payload
    if isinstance(payload, bytes):
        return payload
    return payload.replace("{ts}", str(ts)).encode("utf-8")
