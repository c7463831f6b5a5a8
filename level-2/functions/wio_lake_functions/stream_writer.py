"""DynamoDB stream -> Amazon Data Firehose: one Firehose record per batch and day.

Firehose bills Direct PUT (and format conversion) per record rounded up to 5 KB, so the
readings of a batch are concatenated into one record per UTC measurement day (usually
one record per batch). Only INSERT events become rows (the event source mapping also
filters them): a re-sent reading with the same key is a MODIFY and is not written twice.

Partial failures are reported with ``batchItemFailures``: the first record of the first
group Firehose refused, after which nothing later in the batch is sent, so the retry from
that sequence number writes no duplicates.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any

import wio_lake_functions  # noqa: F401  (resolves WIO_SCHEMA_PATH)
from wio_lake_functions import aws
from wio_lake_functions.records import contiguous_groups, encode_rows, row_from_image

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)


def rows_of_event(event: Mapping[str, Any]) -> tuple[list[tuple[str, dict[str, Any]]], dict]:
    """``(sequence number, row)`` pairs in stream order, plus counts of what was skipped."""
    pairs: list[tuple[str, dict[str, Any]]] = []
    seen: set[tuple[str, int]] = set()
    skipped = {"not_insert": 0, "invalid": 0, "duplicate": 0}
    for record in event.get("Records", []):
        if record.get("eventName") != "INSERT":
            skipped["not_insert"] += 1
            continue
        dynamodb = record.get("dynamodb", {})
        row = row_from_image(dynamodb.get("NewImage", {}))
        if row is None:
            skipped["invalid"] += 1
            continue
        key = (row["device_id"], row["timestamp"])
        if key in seen:
            skipped["duplicate"] += 1
            continue
        seen.add(key)
        pairs.append((str(dynamodb.get("SequenceNumber", "")), row))
    return pairs, skipped


def put_group(stream_name: str, data: bytes) -> None:
    aws.client("firehose").put_record(DeliveryStreamName=stream_name, Record={"Data": data})


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    stream_name = aws.env("DELIVERY_STREAM_NAME")
    pairs, skipped = rows_of_event(event)
    sent_rows = sent_records = 0
    for group in contiguous_groups(pairs):
        try:
            put_group(stream_name, encode_rows(group.rows))
        except Exception:  # noqa: BLE001 - any failure: retry from this group on
            LOG.exception("Firehose refused a group of %d rows (%s)", len(group.rows), group.day)
            _log_summary(sent_rows, sent_records, skipped, failed_from=group.first_id)
            return {"batchItemFailures": [{"itemIdentifier": group.first_id}]}
        sent_rows += len(group.rows)
        sent_records += 1
    _log_summary(sent_rows, sent_records, skipped)
    return {"batchItemFailures": []}


def _log_summary(rows: int, records: int, skipped: dict, failed_from: str | None = None) -> None:
    LOG.info(
        json.dumps(
            {"lake_rows": rows, "firehose_records": records, "skipped": skipped,
             "failed_from": failed_from}  # fmt: skip
        )
    )


def decode(data: str) -> bytes:
    return base64.b64decode(data)
