"""Firehose processor: the ``dt`` partition key (UTC measurement day) of each record.

The stream writer puts the readings of one day into one record, so the first document's
``timestamp`` decides the record's day. The prefix ``dt=!{partitionKeyFromLambda:dt}/`` then
files the Parquet object under the day the readings were measured, not the day they
arrived. A record whose first document has no usable timestamp is ``ProcessingFailed``
and lands under the error prefix.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Any

import wio_lake_functions  # noqa: F401  (resolves WIO_SCHEMA_PATH)
from wio_lake_functions.records import day_of, first_document

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
TIME_FIELD = "timestamp"


def partition_key(data: bytes) -> str | None:
    try:
        document = first_document(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    moment = document.get(TIME_FIELD)
    if isinstance(moment, bool) or not isinstance(moment, int) or moment < 0:
        return None
    return day_of(moment)


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    out = []
    failed = 0
    for record in event.get("records", []):
        day = partition_key(base64.b64decode(record["data"]))
        if day is None:
            failed += 1
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed",
                        "data": record["data"]})  # fmt: skip
            continue
        out.append(
            {
                "recordId": record["recordId"],
                "result": "Ok",
                "data": record["data"],
                "metadata": {"partitionKeys": {"dt": day}},
            }
        )
    if failed:
        LOG.warning("%d of %d records had no usable timestamp", failed, len(out))
    return {"records": out}
