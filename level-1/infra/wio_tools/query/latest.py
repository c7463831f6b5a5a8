"""``latest``: a device's newest readings by a bounded DynamoDB Query, never a Scan."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from wio_contract.fields import CONTRACT
from wio_contract.names import ResourceNames
from wio_tools.environment import AwsEnvironment
from wio_tools.query.aws import dynamodb_client as default_dynamodb
from wio_tools.query.aws import error_code, where
from wio_tools.query.model import JST, NOT_DEPLOYED_HINT, QueryError, QueryResult, TableNotFound
from wio_tools.query.values import (
    _CONVERTERS,
    SENSOR_COLUMNS,
    _extra_column_types,
    _to_bigint,
    deserialize_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Identity and time, the time in JST, then every other payload field and the arrival time.
LATEST_COLUMNS = [
    CONTRACT.identity.name,
    CONTRACT.time.name,
    "measured_at_jst",
    *(f.name for f in CONTRACT.payload_fields if f.role in ("measurement", "diagnostic")),
    "received_at",
]


def latest_readings(
    device_id: str,
    *,
    limit: int = 10,
    names: ResourceNames = ResourceNames(),
    environment: AwsEnvironment | None = None,
    dynamodb_client: DynamoDBClient | None = None,
) -> QueryResult:
    """The device's ``limit`` newest readings: a DynamoDB Query on its key, never a Scan."""
    if limit < 1:
        raise QueryError("--limit must be at least 1")
    client = dynamodb_client or default_dynamodb(environment)
    items: list[dict[str, Any]] = []
    start_key: dict[str, Any] | None = None
    try:
        while len(items) < limit:
            kwargs: dict[str, Any] = {
                "TableName": names.table,
                "KeyConditionExpression": "#d = :d",
                "ExpressionAttributeNames": {"#d": "device_id"},
                "ExpressionAttributeValues": {":d": {"S": device_id}},
                "ScanIndexForward": False,
                "Limit": limit - len(items),
            }
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            page = client.query(**kwargs)
            items.extend(deserialize_item(item) for item in page.get("Items", []))
            start_key = cast("dict[str, Any] | None", page.get("LastEvaluatedKey"))
            if not start_key:
                break
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise TableNotFound(
                f"DynamoDB table {names.table!r} not found{where(client)}: {NOT_DEPLOYED_HINT}"
            ) from error
        raise QueryError(f"cannot query DynamoDB table {names.table!r}: {error}") from error
    except BotoCoreError as error:
        raise QueryError(f"cannot reach DynamoDB{where(client)}: {error}") from error
    extras = _extra_column_types(items)
    columns = LATEST_COLUMNS + list(extras)
    types = [SENSOR_COLUMNS.get(c, "TIMESTAMP WITH TIME ZONE") for c in LATEST_COLUMNS]
    types += list(extras.values())
    rows: list[tuple[Any, ...]] = []
    for item in items[:limit]:
        stamp = _to_bigint(item.get("timestamp"))
        row: list[Any] = []
        for column in columns:
            if column == "measured_at_jst":
                row.append(None if stamp is None else dt.datetime.fromtimestamp(stamp, JST))
            elif column in SENSOR_COLUMNS:
                row.append(_CONVERTERS[SENSOR_COLUMNS[column]](item.get(column)))
            else:
                row.append(_CONVERTERS[extras[column]](item.get(column)))
        rows.append(tuple(row))
    return QueryResult(columns=columns, rows=rows, backend="dynamodb", column_types=types)
