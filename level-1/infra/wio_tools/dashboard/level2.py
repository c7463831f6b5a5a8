"""Level 2's alerts and forecast for one device, read only when level 2 is deployed.

Both tables (``ResourceNames.alerts_table`` and ``.forecast_table``) are keyed ``device_id``
+ ``ts`` (epoch seconds), so every read is a key ``Query``. A missing table answers
``{"available": False}``; that answer is cached for ``absent_ttl`` seconds, so a page poll
does not hit DynamoDB (or the log) each time, and a later deploy of level 2 still shows up
without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from wio_contract.fields import CONTRACT
from wio_contract.names import ResourceNames
from wio_tools.dashboard.readings import is_missing_table, number_of

DEVICE_KEY = CONTRACT.identity.name
TS_KEY = "ts"
"""Level 2's tables name their sort key ``ts`` (not the readings table's time field)."""
FIELDS = tuple(f.name for f in CONTRACT.measurements)
ALERT_LIMIT = 50
MAX_ALERT_LIMIT = 500
FORECAST_MARGIN = 3600
"""Forecast steps up to this many seconds old still draw (the newest run may be an hour old)."""
MAX_FORECAST_ROWS = 2000
ABSENT_TTL = 60.0
ALERT_NUMBERS = ("value", "expected", "score")

log = logging.getLogger(__name__)


def text_of(attribute: dict[str, str] | None) -> str | None:
    return attribute["S"] if attribute and "S" in attribute else None


class Level2:
    """Reads the two level-2 tables through the dashboard's DynamoDB client."""

    def __init__(
        self,
        dynamodb: Any,
        names: ResourceNames,
        *,
        absent_ttl: float = ABSENT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.dynamodb, self.names, self.absent_ttl, self.clock = dynamodb, names, absent_ttl, clock
        self._absent_since: dict[str, float] = {}
        self._lock = threading.Lock()

    def _absent(self, table: str) -> bool:
        with self._lock:
            since = self._absent_since.get(table)
            return since is not None and self.clock() - since < self.absent_ttl

    def _query(self, table: str, **kwargs: Any) -> list[dict[str, Any]] | dict[str, Any]:
        """Items, or the JSON answer to give instead (table absent, or an AWS error)."""
        if self._absent(table):
            return {"available": False}
        cap = kwargs.pop("cap")
        items: list[dict[str, Any]] = []
        try:
            paginator = self.dynamodb.get_paginator("query")
            for page in paginator.paginate(TableName=table, **kwargs):
                items.extend(page.get("Items", []))
                if len(items) >= cap:
                    break
        except ClientError as error:
            if not is_missing_table(error):
                return {"available": False, "error": str(error)}
            with self._lock:
                if table not in self._absent_since:
                    log.info("%s does not exist: level 2 is not deployed", table)
                self._absent_since[table] = self.clock()
            return {"available": False}
        except BotoCoreError as error:
            return {"available": False, "error": str(error)}
        with self._lock:
            self._absent_since.pop(table, None)
        return items[:cap]

    def alerts(
        self,
        device: str,
        *,
        limit: int = ALERT_LIMIT,
        since: int | None = None,
        until: int | None = None,
    ) -> dict[str, Any]:
        """The device's newest alerts first, at most ``limit``; ``since``/``until`` bound ts."""
        cap = max(1, min(limit, MAX_ALERT_LIMIT))
        condition, values = _key_condition(device, since, until)
        found = self._query(
            self.names.alerts_table,
            KeyConditionExpression=condition,
            ExpressionAttributeNames={"#d": DEVICE_KEY, "#t": TS_KEY},
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            PaginationConfig={"PageSize": cap},
            cap=cap,
        )
        if isinstance(found, dict):
            return {**found, "device": device, "rows": []}
        rows = []
        for item in found:
            row: dict[str, Any] = {"ts": number_of(item.get(TS_KEY))}
            for key in ("kind", "field", "alert_id"):
                row[key] = text_of(item.get(key))
            row.update({key: number_of(item.get(key)) for key in ALERT_NUMBERS})
            rows.append(row)
        return {"available": True, "device": device, "rows": rows}

    def forecast(
        self, device: str, *, since: int | None = None, until: int | None = None
    ) -> dict[str, Any]:
        """Forecast steps in columns (``t`` ascending), default from ``now - FORECAST_MARGIN``."""
        low = int(self.clock()) - FORECAST_MARGIN if since is None else since
        condition, values = _key_condition(device, low, until)
        found = self._query(
            self.names.forecast_table,
            KeyConditionExpression=condition,
            ExpressionAttributeNames={"#d": DEVICE_KEY, "#t": TS_KEY},
            ExpressionAttributeValues=values,
            ScanIndexForward=True,
            cap=MAX_FORECAST_ROWS,
        )
        body: dict[str, Any] = {
            "device": device,
            "t": [],
            "values": {name: [] for name in FIELDS},
            "method": {},
            "mase": {},
        }
        if isinstance(found, dict):
            return {**body, **found}
        for item in found:
            body["t"].append(number_of(item.get(TS_KEY)))
            for name in FIELDS:
                body["values"][name].append(number_of(item.get(name)))
                # Later steps come from the same or a newer run: the last one wins.
                method = text_of(item.get(f"{name}_method"))
                if method is not None:
                    body["method"][name] = method
                mase = number_of(item.get(f"{name}_mase"))
                if mase is not None:
                    body["mase"][name] = mase
        return {**body, "available": True}


def _key_condition(device: str, since: int | None, until: int | None) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {":d": {"S": device}}
    if since is not None and until is not None:
        values.update({":lo": {"N": str(since)}, ":hi": {"N": str(until)}})
        return "#d = :d AND #t BETWEEN :lo AND :hi", values
    if since is not None:
        values[":lo"] = {"N": str(since)}
        return "#d = :d AND #t >= :lo", values
    if until is not None:
        values[":hi"] = {"N": str(until)}
        return "#d = :d AND #t <= :hi", values
    # The key condition must name the sort key to use #t; ts >= 0 covers every row.
    values[":lo"] = {"N": "0"}
    return "#d = :d AND #t >= :lo", values
