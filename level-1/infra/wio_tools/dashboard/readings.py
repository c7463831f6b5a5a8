"""A device's readings from DynamoDB: key ``Query`` on device and time range, never a Scan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from wio_contract.fields import CONTRACT

DEVICE_KEY = CONTRACT.identity.name
TIME_KEY = CONTRACT.time.name
MEASUREMENTS = tuple(f.name for f in CONTRACT.measurements)
RANGES: dict[str, int] = {"hour": 3600, "day": 86400, "week": 7 * 86400}
"""Chart windows (seconds) the UI offers."""
MAX_POINTS = 200_000
"""A request reads at most this many items (the newest); the response says when it stopped."""


class DeviceNotFound(LookupError):
    """Neither the IoT registry nor the table knows the device."""


@dataclass
class Series:
    """Readings in columns: ``t`` (epoch seconds, ascending) and one list per measurement."""

    device: str
    since: int
    t: list[int] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(
        default_factory=lambda: {name: [] for name in MEASUREMENTS}
    )
    items_read: int = 0
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "since": self.since,
            "t": self.t,
            "values": self.values,
            "items_read": self.items_read,
            "truncated": self.truncated,
            "last": self.t[-1] if self.t else None,
        }


def _number(attribute: dict[str, str] | None) -> float | None:
    if not attribute or "N" not in attribute:
        return None
    value = float(attribute["N"])
    return int(value) if value.is_integer() else value


def _query_kwargs(table: str, device: str, low: int, *, newest_first: bool) -> dict[str, Any]:
    names = {"#d": DEVICE_KEY, "#t": TIME_KEY}
    names.update({f"#m{i}": name for i, name in enumerate(MEASUREMENTS)})
    return {
        "TableName": table,
        "KeyConditionExpression": "#d = :d AND #t >= :lo",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {":d": {"S": device}, ":lo": {"N": str(low)}},
        "ProjectionExpression": ", ".join(names),  # not raw_payload and the other attributes
        "ScanIndexForward": not newest_first,
    }


def read_series(
    dynamodb: Any,
    table: str,
    device: str,
    *,
    window: int,
    after: int | None = None,
    now: Callable[[], float] = time.time,
    max_points: int = MAX_POINTS,
) -> Series:
    """Readings of ``device`` in the last ``window`` seconds, or only those newer than ``after``.

    One paginated ``Query`` (boto3's paginator), newest first so a capped read keeps the newest
    ``max_points``; the columns come back oldest first, as uPlot wants them.
    """
    since = int(now()) - window
    low = since if after is None else max(since, after + 1)
    series = Series(device=device, since=since)
    rows: list[dict[str, Any]] = []
    pages = dynamodb.get_paginator("query").paginate(
        **_query_kwargs(table, device, low, newest_first=True)
    )
    for page in pages:
        rows.extend(page.get("Items", []))
        if len(rows) >= max_points:
            series.truncated = len(rows) > max_points or "LastEvaluatedKey" in page
            rows = rows[:max_points]
            break
    series.items_read = len(rows)
    for item in reversed(rows):
        series.t.append(int(float(item[TIME_KEY]["N"])))
        for name in MEASUREMENTS:
            series.values[name].append(_number(item.get(name)))
    return series


def latest_reading(dynamodb: Any, table: str, device: str) -> dict[str, Any] | None:
    """The newest reading of ``device`` (one ``Query``, ``Limit=1``, newest first), or None."""
    kwargs = _query_kwargs(table, device, 0, newest_first=True)
    page = dynamodb.query(Limit=1, **kwargs)
    items = page.get("Items", [])
    if not items:
        return None
    item = items[0]
    out: dict[str, Any] = {TIME_KEY: int(float(item[TIME_KEY]["N"]))}
    out.update({name: _number(item.get(name)) for name in MEASUREMENTS})
    return out
