"""The local backend: the DynamoDB table's items in DuckDB, queried with transpiled SQL."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import duckdb
from botocore.exceptions import BotoCoreError, ClientError

from wio_contract.names import ResourceNames
from wio_tools.query.aws import dynamodb_client as default_dynamodb
from wio_tools.query.aws import error_code, where
from wio_tools.query.model import (
    LOCAL_RELATION,
    NOT_DEPLOYED_HINT,
    QueryError,
    QueryResult,
    TableNotFound,
)
from wio_tools.query.sql import to_duckdb_sql
from wio_tools.query.values import (
    _CONVERTERS,
    SENSOR_COLUMNS,
    _extra_column_types,
    deserialize_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def scan_items(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    """Every item of ``table``, paginated. Only the local stand-in scans (as the connector does)."""
    items: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items.extend(deserialize_item(item) for item in page.get("Items", []))
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise TableNotFound(
                f"DynamoDB table {table!r} not found{where(client)}: {NOT_DEPLOYED_HINT}"
            ) from error
        raise QueryError(f"cannot read DynamoDB table {table!r}: {error}") from error
    except BotoCoreError as error:
        raise QueryError(
            f"cannot reach DynamoDB{where(client)}: {error}; is local AWS running? "
            "run make -C level-1 up"
        ) from error
    return items


def connect_duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection whose session time zone is UTC, as Athena's is."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def load_items(
    con: duckdb.DuckDBPyConnection,
    items: Sequence[Mapping[str, Any]],
    *,
    relation: str = LOCAL_RELATION,
) -> dict[str, str]:
    """Create ``relation`` in ``con`` from deserialized items; returns column -> DuckDB type.

    The sensor columns always exist with fixed types (a missing attribute, or one of the wrong
    type, is NULL). Other attributes become DOUBLE when every value is a number, else VARCHAR.
    """
    column_types = dict(SENSOR_COLUMNS)
    extras = _extra_column_types(items)
    column_types.update(extras)
    selects: list[str] = []
    parameters: list[list[Any]] = []
    for column, duck_type in column_types.items():
        convert = _CONVERTERS[duck_type]
        values = [convert(item.get(column)) for item in items]
        parameters.append(values)
        selects.append(f"unnest(?::{duck_type}[]) AS {_quote(column)}")
    con.execute(f"DROP TABLE IF EXISTS {_quote(relation)}")
    con.execute(f"CREATE TABLE {_quote(relation)} AS SELECT {', '.join(selects)}", parameters)
    return column_types


def run_local(
    sql: str,
    *,
    names: ResourceNames,
    dynamodb_client: DynamoDBClient | None = None,
    now: dt.datetime | None = None,
    items: Sequence[Mapping[str, Any]] | None = None,
) -> QueryResult:
    """Run Athena SQL on DuckDB over the table's items.

    The items are scanned from the table with ``dynamodb_client`` unless ``items`` (already
    deserialized, as :func:`deserialize_item` returns them) is given.
    """
    duck_sql = to_duckdb_sql(sql, names=names, now=now)
    if items is None:
        dynamodb_client = dynamodb_client or default_dynamodb(None)
        items = scan_items(dynamodb_client, names.table)
    source = f" of DynamoDB table {names.table!r}{where(dynamodb_client)}"
    con = connect_duckdb()
    try:
        load_items(con, items)
        try:
            cursor = con.execute(duck_sql)
        except duckdb.Error as error:
            raise QueryError(
                f"DuckDB rejected the transpiled SQL: {error}\n-- DuckDB SQL:\n{duck_sql}"
            ) from error
        description = cursor.description or []
        rows = [tuple(row) for row in cursor.fetchall()]
    finally:
        con.close()
    notice = (
        f"results from the local DuckDB stand-in for Athena: {len(items)} items{source}, "
        "SQL transpiled by sqlglot"
    )
    return QueryResult(
        columns=[str(d[0]) for d in description],
        rows=rows,
        backend="local",
        column_types=[str(d[1]) for d in description],
        sql=duck_sql,
        notice=notice,
    )
