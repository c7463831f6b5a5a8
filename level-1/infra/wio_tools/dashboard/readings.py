"""A device's readings from DynamoDB: key ``Query`` on device and time range, never a Scan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

from botocore.exceptions import ClientError

from wio_contract.fields import CONTRACT

DEVICE_KEY = CONTRACT.identity.name
TIME_KEY = CONTRACT.time.name
MEASUREMENTS = tuple(f.name for f in CONTRACT.measurements)
RANGES: dict[str, int] = {"hour": 3600, "day": 86400, "week": 7 * 86400}
"""Chart windows (seconds) the UI offers."""
MAX_POINTS = 200_000
"""A request reads at most this many items (the newest); the response says when it stopped."""
FIRST_BATCH = 1000
"""The device page draws the newest this-many readings first; the rest of the window follows."""


class TableMissing(LookupError):
    """The sensor table is not in this account and region (level 1 not deployed here)."""


def first_batch_url(device: str, window: str) -> str:
    """The device page's first request. The page preloads it and its JS fetches this same URL
    (from the page's meta block), so the data download overlaps the scripts' download."""
    return f"/api/readings?id={quote(device, safe='')}&range={window}&limit={FIRST_BATCH}"


def is_missing_table(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def check_table(dynamodb: Any, table: str) -> None:
    """Fail early and clearly when ``table`` is absent; also opens the client's connection."""
    try:
        dynamodb.describe_table(TableName=table)
    except ClientError as error:
        if is_missing_table(error):
            raise TableMissing(
                f"DynamoDB table {table} not found in this account and region: deploy level 1 "
                "(cdk deploy) or pass the right --prefix / --region"
            ) from error
        raise
    dynamodb.get_paginator("query")


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
    complete: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "since": self.since,
            "t": self.t,
            "values": self.values,
            "items_read": self.items_read,
            "truncated": self.truncated,
            "complete": self.complete,
            "last": self.t[-1] if self.t else None,
            "oldest": self.t[0] if self.t else None,
        }


def number_of(attribute: dict[str, str] | None) -> float | None:
    """A DynamoDB ``{"N": ...}`` as int or float; None when absent or not a number."""
    if not attribute or "N" not in attribute:
        return None
    value = float(attribute["N"])
    return int(value) if value.is_integer() else value


def _query_kwargs(
    table: str, device: str, low: int, *, newest_first: bool, high: int | None = None
) -> dict[str, Any]:
    names = {"#d": DEVICE_KEY, "#t": TIME_KEY}
    names.update({f"#m{i}": name for i, name in enumerate(MEASUREMENTS)})
    values = {":d": {"S": device}, ":lo": {"N": str(low)}}
    condition = "#d = :d AND #t >= :lo"
    if high is not None:
        condition = "#d = :d AND #t BETWEEN :lo AND :hi"
        values[":hi"] = {"N": str(high)}
    return {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
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
    before: int | None = None,
    limit: int | None = None,
    now: Callable[[], float] = time.time,
    max_points: int = MAX_POINTS,
) -> Series:
    """Readings of ``device`` in the last ``window`` seconds, newest first, at most ``limit``.

    ``after``: only readings newer than it (live updates); ``before``: only older ones (the
    rest of a window whose newest part the page already has). One paginated ``Query`` (boto3's
    paginator); the columns come back oldest first, as uPlot wants them. ``complete`` is False
    when older readings in the window remain (``limit`` or ``max_points`` stopped the read).
    """
    since = int(now()) - window
    low = since if after is None else max(since, after + 1)
    high = None if before is None else before - 1
    cap = max_points if limit is None else max(1, min(limit, max_points))
    series = Series(device=device, since=since)
    rows: list[dict[str, Any]] = []
    kwargs = _query_kwargs(table, device, low, newest_first=True, high=high)
    config = {"PageSize": cap} if limit is not None else {}
    more = False
    for page in dynamodb.get_paginator("query").paginate(**kwargs, PaginationConfig=config):
        rows.extend(page.get("Items", []))
        more = "LastEvaluatedKey" in page
        if len(rows) >= cap:
            more = more or len(rows) > cap
            rows = rows[:cap]
            break
    series.complete = not more
    series.truncated = more and limit is None
    series.items_read = len(rows)
    for item in reversed(rows):
        series.t.append(int(float(item[TIME_KEY]["N"])))
        for name in MEASUREMENTS:
            series.values[name].append(number_of(item.get(name)))
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
    out.update({name: number_of(item.get(name)) for name in MEASUREMENTS})
    return out
