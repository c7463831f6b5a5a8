"""Reading the fleet's items back from DynamoDB (Scan or per-device Query)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Sequence

from wio_tools.bench.target import BenchTarget, Say


def _stored_scan(ddb: Any, table: str, fleet_prefix: str) -> list[dict[str, Any]]:
    """Every item of the fleet's devices: one paginated Scan, filtered server-side."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "ConsistentRead": True,
        "FilterExpression": "begins_with(device_id, :p)",
        "ProjectionExpression": "device_id, #ts, seq, received_at",
        "ExpressionAttributeNames": {"#ts": "timestamp"},
        "ExpressionAttributeValues": {":p": {"S": f"{fleet_prefix}-"}},
    }
    while True:
        page = ddb.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _stored_query(ddb: Any, table: str, device_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every item of the fleet's devices: one paginated key Query per device (8 at a time)."""

    def one(device_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": table,
            "ConsistentRead": True,
            "KeyConditionExpression": "device_id = :d",
            "ProjectionExpression": "device_id, #ts, seq, received_at",
            "ExpressionAttributeNames": {"#ts": "timestamp"},
            "ExpressionAttributeValues": {":d": {"S": device_id}},
        }
        while True:
            page = ddb.query(**kwargs)
            out.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="bench-query") as pool:
        return [item for chunk in pool.map(one, device_ids) for item in chunk]


@dataclass(frozen=True)
class StoredItem:
    device_id: str
    timestamp: int
    seq: int | None
    received_at: int | None


def _plain(item: dict[str, Any]) -> StoredItem:
    def num(name: str) -> int | None:
        value = item.get(name, {}).get("N")
        return int(float(value)) if value is not None else None

    ts = num("timestamp")
    return StoredItem(
        device_id=item["device_id"]["S"],
        timestamp=ts if ts is not None else -1,
        seq=num("seq"),
        received_at=num("received_at"),
    )


def read_stored(
    target: BenchTarget, fleet_prefix: str, device_ids: Sequence[str], method: str
) -> list[StoredItem]:
    ddb = target.dynamodb()
    wanted = set(device_ids)
    if method == "scan":
        raw = _stored_scan(ddb, target.names.table, fleet_prefix)
    elif method == "query":
        raw = _stored_query(ddb, target.names.table, list(device_ids))
    else:
        raise ValueError(f"unknown count method {method!r}")
    items = [_plain(i) for i in raw]
    return [i for i in items if i.device_id in wanted]


def wait_until_stored(
    target: BenchTarget,
    fleet_prefix: str,
    device_ids: Sequence[str],
    expected_keys: set[tuple[str, int]],
    *,
    method: str,
    timeout: float,
    settle: float,
    say: Say,
) -> tuple[list[StoredItem], float]:
    """Read back until every expected key is stored, or nothing new arrived for ``settle`` s
    (or ``timeout`` passed). Returns the items and the seconds it took."""
    t0 = time.monotonic()
    last_count = -1
    last_change = t0
    while True:
        items = read_stored(target, fleet_prefix, device_ids, method)
        keys = {(i.device_id, i.timestamp) for i in items}
        now = time.monotonic()
        if expected_keys <= keys:
            return items, now - t0
        if len(items) != last_count:
            last_count, last_change = len(items), now
        missing = len(expected_keys - keys)
        if now - last_change >= settle or now - t0 >= timeout:
            say(f"store: giving up with {missing} key(s) missing after {now - t0:.1f}s")
            return items, now - t0
        say(f"store: {len(items)} item(s), {missing} still missing; reading again")
        time.sleep(min(2.0, max(0.5, settle / 5)))
