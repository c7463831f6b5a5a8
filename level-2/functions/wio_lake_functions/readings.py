"""Reading the level-1 table by key (Query, never Scan) and listing the devices.

The device list is the AWS IoT registry (``ListThings``): it is the source of truth for which
devices exist, costs nothing per call, and forgets a device the moment it is deleted. Readings
of one device come from a key-condition Query on ``device_id`` with a ``timestamp`` range.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from wio_analytics.model import Reading
from wio_contract.fields import CONTRACT
from wio_lake_functions import aws

LOG = logging.getLogger()


def list_devices() -> list[str]:
    iot = aws.client("iot")
    names: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"maxResults": 250}
        if token:
            kwargs["nextToken"] = token
        page = iot.list_things(**kwargs)
        names += [t["thingName"] for t in page.get("things", [])]
        token = page.get("nextToken")
        if not token:
            return sorted(set(names))


def thing_exists(name: str) -> bool:
    iot = aws.client("iot")
    try:
        iot.describe_thing(thingName=name)
    except iot.exceptions.ResourceNotFoundException:
        return False
    return True


def query_items(table: str, device: str, after: int, until: int) -> Iterator[dict[str, Any]]:
    """Items of ``device`` with ``after < timestamp <= until``, oldest first (plain values)."""
    ddb = aws.client("dynamodb")
    fields = [CONTRACT.time.name] + [f.name for f in CONTRACT.measurements]
    names = {f"#a{i}": name for i, name in enumerate(fields)}
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "device_id = :d AND #a0 BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {
            ":d": {"S": device},
            ":lo": {"N": str(after + 1)},
            ":hi": {"N": str(until)},
        },
        "ProjectionExpression": ", ".join(names),
    }
    while True:
        page = ddb.query(**kwargs)
        for item in page.get("Items", []):
            out: dict[str, Any] = {}
            for key, value in item.items():
                if "N" in value:
                    try:
                        out[key] = float(value["N"])
                    except ValueError:
                        continue
            if CONTRACT.time.name in out:
                yield out
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def series(items: list[dict[str, Any]]) -> dict[str, list[Reading]]:
    """Per measurement field, its readings (a reading without the field is left out)."""
    out: dict[str, list[Reading]] = {f.name: [] for f in CONTRACT.measurements}
    moment = CONTRACT.time.name
    for item in items:
        ts = int(item[moment])
        for name, readings in out.items():
            value = item.get(name)
            if value is not None:
                readings.append(Reading(ts=ts, value=float(value)))
    return out
