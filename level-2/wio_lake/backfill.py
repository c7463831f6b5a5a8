"""Backfill: what is already in the level-1 table goes into the lake, idempotently.

One Parquet object per device and day at a deterministic key,
``readings/dt=<day>/backfill-<device>.parquet``: running it again overwrites the same objects
with the same rows, so nothing is counted twice.

The boundary with the stream: the stream writer only sees items written after its event
source mapping was created (starting position LATEST). Backfill takes the items whose
``received_at`` (server arrival, epoch ms) is before that moment, ``--before`` by default
(items without ``received_at`` are taken too). So streamed and backfilled rows do not overlap.

Reading everything is a one-off paginated Scan of the table (the detector never scans).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from wio_lake.lake import Lake
from wio_lake.parquet import parquet_bytes
from wio_lake_functions.records import row_day, row_from_plain
from wio_tools.environment import AwsEnvironment

SAFE_RE = re.compile(r"[^A-Za-z0-9_-]")


def object_key(lake: Lake, device: str, day: str) -> str:
    safe = SAFE_RE.sub("_", device)
    if safe != device:  # keep distinct ids distinct after the replacement
        safe += "-" + hashlib.sha1(device.encode()).hexdigest()[:8]
    return f"{lake.partition_prefix(day)}backfill-{safe}.parquet"


@dataclass
class BackfillReport:
    scanned: int = 0
    rows: int = 0
    skipped_after_cutoff: int = 0
    invalid: int = 0
    objects: list[str] = field(default_factory=list)


def scan_items(aws: AwsEnvironment, table: str) -> Iterator[dict[str, Any]]:
    deserializer = TypeDeserializer()
    paginator = aws.client("dynamodb").get_paginator("scan")
    for page in paginator.paginate(TableName=table):
        for item in page.get("Items", []):
            yield {k: deserializer.deserialize(v) for k, v in item.items()}


def stream_start_ms(aws: AwsEnvironment, lake: Lake) -> int | None:
    """When the stream writer's event source mapping was last changed (epoch ms), if found."""
    client = aws.client("lambda")
    stream_prefix = f"table/{lake.names.table}/stream/"
    for page in client.get_paginator("list_event_source_mappings").paginate():
        for mapping in page.get("EventSourceMappings", []):
            if stream_prefix in mapping.get("EventSourceArn", ""):
                modified = mapping.get("LastModified")
                if modified is not None:
                    return int(modified.timestamp() * 1000)
    return None


def backfill(aws: AwsEnvironment, lake: Lake, *, before_ms: int | None) -> BackfillReport:
    report = BackfillReport()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    seen: set[tuple[str, int]] = set()
    for item in scan_items(aws, lake.names.table):
        report.scanned += 1
        received = item.get("received_at")
        if before_ms is not None and received is not None and int(received) >= before_ms:
            report.skipped_after_cutoff += 1
            continue
        row = row_from_plain(item)
        if row is None:
            report.invalid += 1
            continue
        key = (row["device_id"], row["timestamp"])
        if key in seen:
            continue
        seen.add(key)
        groups[(row["device_id"], row_day(row))].append(row)
    s3 = aws.client("s3")
    for (device, day), rows in sorted(groups.items()):
        object_name = object_key(lake, device, day)
        s3.put_object(Bucket=lake.bucket, Key=object_name, Body=parquet_bytes(rows))
        report.rows += len(rows)
        report.objects.append(object_name)
    return report
