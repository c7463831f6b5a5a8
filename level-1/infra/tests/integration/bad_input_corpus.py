"""Inputs that a broken or hostile device might publish, and what must happen to each.

REJECTED: not stored; the rejected-messages rule delivers the exact bytes (base64) to the
dead-letter queue. STORED: stored, normalized as given, with the exact bytes in `raw_payload`.
`{ts}` is replaced by a fresh valid timestamp so that every case has its own table key. Every
JSON object gets the publishing thing's `device_id` first (the contract requires it), unless the
case is about the device id itself (`own_device_id=False`): so each case tests one problem.
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
    own_device_id: bool = True


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
    Case(
        "temperature-numeric-string-too-hot", '{"timestamp": {ts}, "temperature": "200"}', REJECTED
    ),
    Case("light-text", '{"timestamp": {ts}, "light": "bright"}', REJECTED),
    Case(
        "numeric-strings-normalized",
        '{"timestamp": {ts}, "temperature": "25.5", "humidity": "60", ' '"light": "300"}',
        STORED,
        {"temperature": 25.5, "humidity": 60, "light": 300},
    ),
    # Diagnostics: bounded and integer like the sensors
    Case("rssi-above-zero", '{"timestamp": {ts}, "rssi": 5}', REJECTED),
    Case("rssi-below-range", '{"timestamp": {ts}, "rssi": -200}', REJECTED),
    Case("rssi-text", '{"timestamp": {ts}, "rssi": "weak"}', REJECTED),
    Case("rssi-fraction", '{"timestamp": {ts}, "rssi": -60.5}', REJECTED),
    Case("seq-negative", '{"timestamp": {ts}, "seq": -1}', REJECTED),
    Case("seq-over-uint32", '{"timestamp": {ts}, "seq": 4294967296}', REJECTED),
    Case("seq-bool", '{"timestamp": {ts}, "seq": true}', REJECTED),
    Case("light-fraction", '{"timestamp": {ts}, "light": 12.5}', REJECTED),
    # Fields outside the schema: the reading is stored, the extras only in raw_payload
    Case(
        "unknown-extra-fields",
        '{"timestamp": {ts}, "temperature": 20.1, "firmware": "1.2.3", ' '"boot": 7}',
        STORED,
        {"temperature": 20.1},
    ),
    Case(
        "unicode-fields",
        '{"timestamp": {ts}, "temperature": 19.0, ' '"location": "東京・研究室 🌡"}',
        STORED,
        {"temperature": 19.0},
    ),
    Case(
        "nested-object-extra",
        '{"timestamp": {ts}, "humidity": 40.5, ' '"meta": {"sensor": "dht11", "ok": true}}',
        STORED,
        {"humidity": 40.5},
    ),
    # The device's identity: required, and it must be the topic's thing
    Case(
        "device-id-disagrees-with-topic",
        '{"device_id": "other-device", "timestamp": {ts}, "temperature": 22.0}',
        REJECTED,
        own_device_id=False,
    ),
    Case(
        "device-id-missing",
        '{"timestamp": {ts}, "temperature": 22.0}',
        REJECTED,
        own_device_id=False,
    ),
    Case("device-id-number", '{"device_id": 42, "timestamp": {ts}}', REJECTED, own_device_id=False),
    Case("only-required-fields", '{"timestamp": {ts}}', STORED, {}),
]


def render(case: Case, ts: int, device: str) -> bytes:
    payload = case.payload
    if isinstance(payload, bytes):
        return payload
    if case.own_device_id and payload.startswith("{"):
        payload = '{"device_id": "' + device + '", ' + payload[1:]
    return payload.replace("{ts}", str(ts)).encode("utf-8")
