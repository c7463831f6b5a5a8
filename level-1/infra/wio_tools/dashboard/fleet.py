"""The device list without a Scan: IoT registry names, one ``Limit=1`` Query per shown device.

* Names: ``iot list_things`` through its paginator (250 things a call), every thing in the
  account and region, sorted, cached for ``list_ttl`` seconds.
* A page of the list (at most :data:`MAX_PER_PAGE` devices): one newest-first ``Query`` with
  ``Limit=1`` per device on that page only, ``workers`` at a time, each cached ``latest_ttl``
  seconds. A 10,000-device fleet therefore costs 40 list calls a minute and 100 Queries per
  refresh of one page, never 10,000.
* Silent: the newest reading is older than the threshold of the named query
  ``silent-devices.sql`` (read from its ``INTERVAL``, so the two cannot disagree).
* Rejected: the dead-letter queue's ``ApproximateNumberOfMessages`` (+ ``NotVisible``), for
  the whole fleet. Counting per device would mean receiving every message (hiding it from
  whoever drains the queue), so the dashboard does not.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError
from sqlglot import exp

from infra.queries import load_named_query
from wio_contract.names import ResourceNames
from wio_tools.dashboard.readings import TIME_KEY, latest_reading
from wio_tools.query.sql import parse_athena

MAX_PER_PAGE = 100
_UNIT_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}


def silent_after_seconds(names: ResourceNames = ResourceNames()) -> int:
    """The threshold of ``silent-devices.sql``: its ``INTERVAL '15' MINUTE``, in seconds."""
    query = load_named_query("silent-devices", names=names)
    intervals = list(parse_athena(query.sql).find_all(exp.Interval))
    if len(intervals) != 1:
        raise ValueError("silent-devices.sql should hold exactly one INTERVAL")
    interval = intervals[0]
    unit = interval.text("unit").upper().rstrip("S")
    return int(float(interval.this.name) * _UNIT_SECONDS[unit])


@dataclass
class _Cached:
    value: Any
    at: float


class Fleet:
    """Device names, per-device newest readings and the rejected count, with small caches."""

    def __init__(
        self,
        *,
        iot: Any,
        dynamodb: Any,
        sqs: Any,
        names: ResourceNames,
        list_ttl: float = 60.0,
        latest_ttl: float = 15.0,
        workers: int = 8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.iot, self.dynamodb, self.sqs, self.names = iot, dynamodb, sqs, names
        self.list_ttl, self.latest_ttl, self.workers, self.clock = (
            list_ttl,
            latest_ttl,
            workers,
            clock,
        )
        self.silent_after = silent_after_seconds(names)
        self._lock = threading.Lock()
        self._things: _Cached | None = None
        self._latest: dict[str, _Cached] = {}
        self._rejected: _Cached | None = None

    # -------------------------------------------------------------- names
    def thing_names(self) -> list[str]:
        with self._lock:
            if self._things and self.clock() - self._things.at < self.list_ttl:
                return list(self._things.value)
        found: list[str] = []
        for page in self.iot.get_paginator("list_things").paginate(
            PaginationConfig={"PageSize": 250}
        ):
            found.extend(t["thingName"] for t in page.get("things", []))
        found.sort()
        with self._lock:
            self._things = _Cached(found, self.clock())
        return found

    def knows(self, device: str) -> bool:
        """In the registry, or has readings (a thing deleted after it sent data)."""
        return device in set(self.thing_names()) or self.latest(device) is not None

    # -------------------------------------------------------------- readings
    def latest(self, device: str) -> dict[str, Any] | None:
        now = self.clock()
        with self._lock:
            hit = self._latest.get(device)
            if hit and now - hit.at < self.latest_ttl:
                return dict(hit.value) if hit.value else None
        value = latest_reading(self.dynamodb, self.names.table, device)
        with self._lock:
            self._latest[device] = _Cached(value, now)
        return value

    def is_silent(self, reading: dict[str, Any] | None) -> bool:
        return reading is None or self.clock() - reading[TIME_KEY] > self.silent_after

    def page(self, page: int = 1, per_page: int = MAX_PER_PAGE) -> dict[str, Any]:
        """One page of the list: names, newest readings, silent flags, and the totals."""
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        names = self.thing_names()
        pages = max(1, math.ceil(len(names) / per_page))
        page = max(1, min(page, pages))
        shown = names[(page - 1) * per_page : page * per_page]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            latest = list(pool.map(self.latest, shown))
        devices = [
            {
                "device": name,
                "latest": reading,
                "last_seen": reading[TIME_KEY] if reading else None,
                "silent": self.is_silent(reading),
            }
            for name, reading in zip(shown, latest)
        ]
        return {
            "devices": devices,
            "total": len(names),
            "page": page,
            "pages": pages,
            "per_page": per_page,
            "silent_after_seconds": self.silent_after,
            "rejected": self.rejected(),
            "now": int(self.clock()),
        }

    # -------------------------------------------------------------- dead letters
    def rejected(self) -> dict[str, Any]:
        """``{"queue", "approximate"}``; ``approximate`` is None when the queue is unreadable."""
        now = self.clock()
        with self._lock:
            if self._rejected and now - self._rejected.at < self.latest_ttl:
                return dict(self._rejected.value)
        queue = self.names.rejected_queue
        value: dict[str, Any] = {"queue": queue, "approximate": None, "scope": "fleet"}
        try:
            url = self.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            value["approximate"] = sum(int(v) for v in attributes.values())
        except (ClientError, BotoCoreError, KeyError, ValueError) as error:
            value["error"] = str(error)
        with self._lock:
            self._rejected = _Cached(value, now)
        return value
