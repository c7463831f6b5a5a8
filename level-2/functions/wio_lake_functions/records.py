"""Readings as lake rows: DynamoDB images in, typed JSON rows out, grouped by day.

The lake's columns are the contract's stored fields without ``raw_payload``. Epoch seconds
stay integers (bigint): Firehose's Parquet conversion refuses epoch numbers for a
``timestamp`` column. A row's partition ``dt`` is the UTC day of its measurement time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from wio_contract.fields import CONTRACT, Field

EXCLUDED_COLUMNS = frozenset({"raw_payload"})
#: Firehose accepts records up to 1,000 KiB; stay well below.
MAX_RECORD_BYTES = 900 * 1024


def lake_fields() -> tuple[Field, ...]:
    return tuple(f for f in CONTRACT.stored_fields if f.name not in EXCLUDED_COLUMNS)


def day_of(epoch_seconds: int) -> str:
    """``YYYY-MM-DD`` (UTC) of an epoch time in seconds."""
    return time.strftime("%Y-%m-%d", time.gmtime(epoch_seconds))


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    try:  # decimal.Decimal from boto3's deserializer
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


def _attribute(value: Mapping[str, Any]) -> Any:
    """A plain value from one DynamoDB-JSON attribute ({"N": "1"}, {"S": "x"}, ...)."""
    if "N" in value:
        return _number(value["N"])
    if "S" in value:
        return value["S"]
    if "BOOL" in value:
        return value["BOOL"]
    return None


def row_from_plain(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """A lake row from a plain item (values already decoded); None if it has no identity."""
    row: dict[str, Any] = {}
    for f in lake_fields():
        value = item.get(f.name)
        if value is None:
            continue
        if f.is_numeric:
            number = _number(value)
            if number is None:
                continue
            if f.is_integer:
                if number != int(number):
                    continue
                number = int(number)
            else:
                number = float(number)
            row[f.name] = number
        elif isinstance(value, str):
            row[f.name] = value
    identity, moment = CONTRACT.identity.name, CONTRACT.time.name
    if not isinstance(row.get(identity), str) or not isinstance(row.get(moment), int):
        return None
    return row


def row_from_image(image: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """A lake row from a stream record's NEW_IMAGE (DynamoDB JSON)."""
    return row_from_plain({k: _attribute(v) for k, v in image.items() if isinstance(v, dict)})


def row_day(row: Mapping[str, Any]) -> str:
    return day_of(int(row[CONTRACT.time.name]))


def encode_rows(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Concatenated JSON documents, one per row, newline separated."""
    return b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in rows)


@dataclass
class Group:
    """A contiguous run of rows of one day; ``first_id`` is its first stream sequence."""

    day: str
    first_id: str
    rows: list[dict[str, Any]]


def contiguous_groups(
    items: Iterable[tuple[str, dict[str, Any]]], *, max_bytes: int = MAX_RECORD_BYTES
) -> Iterator[Group]:
    """Split ``(sequence id, row)`` pairs into runs of the same day, in stream order."""
    current: Group | None = None
    size = 0
    for seq, row in items:
        day = row_day(row)
        row_size = len(json.dumps(row, separators=(",", ":"))) + 1
        if current is None or current.day != day or size + row_size > max_bytes:
            if current is not None:
                yield current
            current, size = Group(day=day, first_id=seq, rows=[]), 0
        current.rows.append(row)
        size += row_size
    if current is not None:
        yield current


def first_document(data: bytes) -> Any:
    """The first JSON document of a record of concatenated documents."""
    text = data.decode("utf-8")
    document, _ = json.JSONDecoder().raw_decode(text.lstrip())
    return document
