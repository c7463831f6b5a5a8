"""Per-device detector state in the state table: one item per device.

``state`` holds every field's :class:`~wio_analytics.detector.DetectorState` as one
zlib-compressed JSON document (binary attribute): a 14-day baseline is 4-7 KB per field as
JSON, and compression keeps a device's write at about two write units every run.
``checkpoint`` is the newest measurement time already read from the level-1 table.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from wio_analytics.detector import DetectorState
from wio_lake_functions import aws


@dataclass
class DeviceState:
    device_id: str
    fields: dict[str, DetectorState] = field(default_factory=dict)
    checkpoint: int | None = None

    def of(self, name: str) -> DetectorState:
        if name not in self.fields:
            self.fields[name] = DetectorState()
        return self.fields[name]

    def newest(self) -> DetectorState | None:
        known = [s for s in self.fields.values() if s.last_ts is not None]
        return max(known, key=lambda s: s.last_ts or 0) if known else None


def encode(states: dict[str, DetectorState]) -> bytes:
    document = {name: json.loads(s.to_json()) for name, s in sorted(states.items())}
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 9)


def decode(blob: bytes) -> dict[str, DetectorState]:
    document: dict[str, Any] = json.loads(zlib.decompress(blob))
    return {name: DetectorState.from_json(json.dumps(s)) for name, s in document.items()}


def load(table: str, device: str) -> DeviceState | None:
    item = (
        aws.client("dynamodb")
        .get_item(TableName=table, Key={"device_id": {"S": device}}, ConsistentRead=True)
        .get("Item")
    )
    if not item:
        return None
    fields = decode(item["state"]["B"]) if "state" in item else {}
    checkpoint = int(item["checkpoint"]["N"]) if "checkpoint" in item else None
    return DeviceState(device_id=device, fields=fields, checkpoint=checkpoint)


def save(table: str, state: DeviceState, *, now: int) -> None:
    item: dict[str, Any] = {
        "device_id": {"S": state.device_id},
        "state": {"B": encode(state.fields)},
        "updated_at": {"N": str(now)},
    }
    if state.checkpoint is not None:
        item["checkpoint"] = {"N": str(state.checkpoint)}
    aws.client("dynamodb").put_item(TableName=table, Item=item)


def delete(table: str, device: str) -> None:
    aws.client("dynamodb").delete_item(TableName=table, Key={"device_id": {"S": device}})
