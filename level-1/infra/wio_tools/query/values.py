"""Value conversion shared by the local loader, ``latest`` and the output formats."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any, Callable, Mapping, Sequence

from boto3.dynamodb.types import TypeDeserializer

from wio_contract.fields import CONTRACT

# The columns every item may carry (the contract's stored fields), with their DuckDB types.
# A missing attribute is NULL.
SENSOR_COLUMNS: dict[str, str] = CONTRACT.duckdb_types()

_deserializer = TypeDeserializer()


def deserialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (``{"N": "1"}`` values) as Python values (Decimal numbers)."""
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def _to_number(value: Any) -> decimal.Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return value if value.is_finite() else None
    if isinstance(value, (int, float)):
        number = decimal.Decimal(str(value))
        return number if number.is_finite() else None
    if isinstance(value, str):
        try:
            number = decimal.Decimal(value.strip())
        except decimal.InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _to_bigint(value: Any) -> int | None:
    number = _to_number(value)
    if number is None:
        return None
    result = int(number.to_integral_value(rounding=decimal.ROUND_FLOOR))
    return result if -(2**63) <= result < 2**63 else None


def _to_double(value: Any) -> float | None:
    number = _to_number(value)
    return None if number is None else float(number)


def _to_varchar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "VARCHAR": _to_varchar,
    "BIGINT": _to_bigint,
    "DOUBLE": _to_double,
}


def _extra_column_types(items: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """DuckDB types of the attributes that are not sensor columns: numbers DOUBLE, else VARCHAR."""
    known = {name.lower() for name in SENSOR_COLUMNS}
    types: dict[str, str] = {}
    for item in items:
        for key, value in item.items():
            if key.lower() in known or value is None:
                continue
            numeric = isinstance(value, (decimal.Decimal, int, float)) and not isinstance(
                value, bool
            )
            kind = "DOUBLE" if numeric else "VARCHAR"
            if types.get(key, kind) != kind:
                kind = "VARCHAR"
            types[key] = kind
    # DuckDB identifiers ignore case: keep the first spelling of names that differ only in case.
    result: dict[str, str] = {}
    seen: set[str] = set()
    for key in sorted(types):
        if key.lower() not in seen:
            seen.add(key.lower())
            result[key] = types[key]
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value
