"""``wio-query``: run the named Athena queries, ad-hoc SQL, or a device's latest readings.

Two backends answer the same Athena SQL:

* ``athena`` (real AWS): the query runs in the stack's Athena workgroup, through the DynamoDB
  connector's data catalog. The tool polls with backoff, reports a failure's reason, and pages
  through the results, typed by Athena's column metadata.
* ``local`` (MiniStack or another emulator): MiniStack's Athena cannot read DynamoDB, so the tool
  scans the table's items into DuckDB and runs the Athena SQL there, transpiled by sqlglot. Every
  table reference that names the sensor table (through the connector catalog, the Glue database,
  or bare) resolves to that local copy. The output says the results come from this stand-in.

``auto`` picks ``local`` when ``AWS_ENDPOINT_URL`` points at a local emulator, else ``athena``.

``latest`` never runs SQL: it is a bounded DynamoDB Query on the device's key, newest first.

Library API (used by the tests)::

    run_query(sql, *, backend="auto", names=ResourceNames(), session=None, ...) -> QueryResult
    run_named(name, *, backend="auto", names=ResourceNames(), ...) -> QueryResult
    latest_readings(device_id, *, limit=10, names=ResourceNames(), ...) -> QueryResult
    render(result, fmt) -> str
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import io
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence, cast
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import boto3
import duckdb
import sqlglot
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from infra.names import ResourceNames
from infra.queries import NamedQueryError, load_named_queries, load_named_query

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_dynamodb import DynamoDBClient

Backend = Literal["auto", "athena", "local"]
ResolvedBackend = Literal["athena", "local"]
OutputFormat = Literal["table", "csv", "json", "jsonl"]

DEFAULT_REGION = "ap-northeast-1"
JST = dt.timezone(dt.timedelta(hours=9), "JST")
LOCAL_RELATION = "wio_sensor_data"
"""Name of the DuckDB table that holds the local copy of the DynamoDB items."""
ATHENA_DEFAULT_CATALOG = "awsdatacatalog"
CONNECTOR_DEFAULT_SCHEMA = "default"

# The columns every item may carry, with their DuckDB types. A missing attribute is NULL.
SENSOR_COLUMNS: dict[str, str] = {
    "device_id": "VARCHAR",
    "timestamp": "BIGINT",
    "temperature": "DOUBLE",
    "humidity": "DOUBLE",
    "light": "BIGINT",
    "rssi": "BIGINT",
    "seq": "BIGINT",
    "received_at": "BIGINT",
    "expires_at": "BIGINT",
}

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"}
LOCAL_HOST_HINTS = ("ministack", "localstack", "moto")
ENDPOINT_ENV_VARS = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_ATHENA", "AWS_ENDPOINT_URL")

NOT_DEPLOYED_HINT = "stack not deployed? run make -C level-1 up"


# --------------------------------------------------------------------------------------------
# Results and errors


class QueryError(RuntimeError):
    """A query could not run or did not succeed; the message says why and what to do."""


class QueryFailed(QueryError):
    """Athena reported FAILED."""


class QueryCancelled(QueryError):
    """Athena reported CANCELLED."""


class QueryTimeout(QueryError):
    """The query did not finish in time; the tool asked Athena to stop it."""


class TableNotFound(QueryError):
    """The DynamoDB table does not exist."""


@dataclass(frozen=True)
class QueryResult:
    """Columns, typed rows, and which backend produced them."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    backend: str
    """``athena``, ``local`` (DuckDB stand-in) or ``dynamodb`` (``latest``)."""
    column_types: list[str] = field(default_factory=list)
    query_execution_id: str | None = None
    """Athena's id for the execution, on the athena backend."""
    sql: str | None = None
    """The SQL that actually ran: Athena SQL, or the DuckDB SQL sqlglot produced."""
    notice: str | None = None
    """A line to show with the results (the local stand-in says so here)."""

    def as_dicts(self) -> list[dict[str, Any]]:
        """Rows as dictionaries keyed by column name."""
        return [dict(zip(self.columns, row)) for row in self.rows]


# --------------------------------------------------------------------------------------------
# Backend choice and clients


def endpoint_url(env: Mapping[str, str] | None = None) -> str | None:
    """The custom AWS endpoint from the environment, if any."""
    env = os.environ if env is None else env
    for var in ENDPOINT_ENV_VARS:
        value = env.get(var, "").strip()
        if value:
            return value
    return None


def is_local_endpoint(url: str | None) -> bool:
    """Whether ``url`` points at a local emulator (loopback, localhost or a known emulator)."""
    if not url:
        return False
    host = (urlparse(url if "://" in url else f"http://{url}").hostname or "").lower()
    if host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost"):
        return True
    return any(hint in host for hint in LOCAL_HOST_HINTS)


def resolve_backend(backend: str, env: Mapping[str, str] | None = None) -> ResolvedBackend:
    """``auto`` becomes ``local`` when the AWS endpoint is a local emulator, else ``athena``."""
    if backend == "athena":
        return "athena"
    if backend == "local":
        return "local"
    if backend != "auto":
        raise QueryError(f"unknown backend {backend!r}; use auto, athena or local")
    return "local" if is_local_endpoint(endpoint_url(env)) else "athena"


def make_session(region: str | None = None) -> boto3.Session:
    """A boto3 session in ``region``, else the configured region (AWS_DEFAULT_REGION, profile,
    or AWS_REGION as the AWS CLI and cdk read it), else ap-northeast-1."""
    session = boto3.Session(region_name=region) if region else boto3.Session()
    if session.region_name is None and os.environ.get("AWS_REGION"):
        session = boto3.Session(region_name=os.environ["AWS_REGION"])
    if session.region_name is None:
        session = boto3.Session(region_name=DEFAULT_REGION)
    return session


def _dynamodb(session: boto3.Session | None) -> DynamoDBClient:
    return (session or make_session()).client("dynamodb")


def _athena(session: boto3.Session | None) -> AthenaClient:
    return (session or make_session()).client("athena")


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _where(client: Any) -> str:
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return f" at {url}" if url else ""


# --------------------------------------------------------------------------------------------
# Value conversion shared by the local loader and ``latest``

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


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --------------------------------------------------------------------------------------------
# Local backend: DynamoDB items -> DuckDB, Athena SQL -> DuckDB SQL


def scan_items(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    """Every item of ``table``, paginated. Only the local stand-in scans (as the connector does)."""
    items: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items.extend(deserialize_item(item) for item in page.get("Items", []))
    except ClientError as error:
        if _error_code(error) == "ResourceNotFoundException":
            raise TableNotFound(
                f"DynamoDB table {table!r} not found{_where(client)}: {NOT_DEPLOYED_HINT}"
            ) from error
        raise QueryError(f"cannot read DynamoDB table {table!r}: {error}") from error
    except BotoCoreError as error:
        raise QueryError(
            f"cannot reach DynamoDB{_where(client)}: {error}; is local AWS running? "
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


def _table_aliases(names: ResourceNames) -> tuple[set[str], set[str], set[str]]:
    tables = {names.table.lower(), names.crawled_table.lower()}
    databases = {"", CONNECTOR_DEFAULT_SCHEMA, names.glue_database.lower()}
    catalogs = {"", names.data_catalog.lower(), ATHENA_DEFAULT_CATALOG}
    return tables, databases, catalogs


def rewrite_table_references(
    expression: exp.Expr,
    *,
    names: ResourceNames,
    relation: str = LOCAL_RELATION,
) -> exp.Expr:
    """Point every reference to the sensor table at the local DuckDB relation (in place).

    Accepted forms, case-insensitive: the DynamoDB table name or the crawler's table name,
    bare or qualified by the connector's ``default`` schema or the Glue database, optionally
    under the connector catalog or ``awsdatacatalog``. A reference keeps its alias, or gets
    its old name as alias so qualified columns still resolve. Any other table that is not a
    CTE raises :class:`QueryError`.
    """
    tables, databases, catalogs = _table_aliases(names)
    ctes = {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}
    for table in list(expression.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as UNNEST or generate_series
        name, db, catalog = table.name.lower(), table.db.lower(), table.catalog.lower()
        if not db and not catalog and name in ctes:
            continue
        if name in tables and db in databases and catalog in catalogs:
            original = table.name
            table.set("this", exp.to_identifier(relation))
            table.set("db", None)
            table.set("catalog", None)
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(original, quoted=True)))
            continue
        known = f'"{names.data_catalog}"."default"."{names.table}"'
        raise QueryError(
            f"the local stand-in for Athena knows only the sensor table ({known}, "
            f'"{names.glue_database}"."{names.crawled_table}" or "{names.table}"); '
            f"the query names {table.sql(dialect='athena')}"
        )
    for column in expression.find_all(exp.Column):
        if column.table.lower() in tables and (column.args.get("db") or column.args.get("catalog")):
            column.set("db", None)
            column.set("catalog", None)
    return expression


def freeze_now(expression: exp.Expr, now: dt.datetime) -> exp.Expr:
    """Replace current_timestamp/now() and current_date by the fixed instant ``now``."""
    if now.tzinfo is None:
        raise QueryError("the frozen 'now' needs a time zone (for example +00:00)")
    instant = now.astimezone(dt.timezone.utc)

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.CurrentTimestamp):
            literal = exp.Literal.string(instant.isoformat())
            return exp.cast(literal, exp.DataType.Type.TIMESTAMPTZ)
        if isinstance(node, exp.CurrentDate):
            return exp.cast(exp.Literal.string(instant.date().isoformat()), exp.DataType.Type.DATE)
        return node

    return expression.transform(replace)


def name_columns_like_athena(expression: exp.Expr) -> exp.Expr:
    """Name the top-level SELECT's unnamed expressions ``_col<position>``, as Athena does."""
    if isinstance(expression, exp.Select):
        named: list[exp.Expr] = []
        for position, item in enumerate(expression.expressions):
            if isinstance(item, (exp.Alias, exp.Column, exp.Star)):
                named.append(item)
            else:
                named.append(exp.alias_(item, f"_col{position}"))
        expression.set("expressions", named)
    return expression


def parse_athena(sql: str) -> exp.Expr:
    """Parse one Athena (Trino) statement; :class:`QueryError` on a syntax error or several."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except ParseError as error:
        raise QueryError(f"cannot parse the SQL as Athena SQL: {error}") from error
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


def to_duckdb_sql(
    sql: str,
    *,
    names: ResourceNames,
    relation: str = LOCAL_RELATION,
    now: dt.datetime | None = None,
    pretty: bool = False,
) -> str:
    """The Athena statement as DuckDB SQL over ``relation`` (tables rewritten, 'now' frozen)."""
    expression = rewrite_table_references(parse_athena(sql), names=names, relation=relation)
    expression = name_columns_like_athena(expression)
    if now is not None:
        expression = freeze_now(expression, now)
    try:
        return expression.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE, pretty=pretty)
    except UnsupportedError as error:
        raise QueryError(f"sqlglot cannot express this SQL in DuckDB: {error}") from error


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
        dynamodb_client = dynamodb_client or _dynamodb(None)
        items = scan_items(dynamodb_client, names.table)
    source = f" of DynamoDB table {names.table!r}{_where(dynamodb_client)}"
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


# --------------------------------------------------------------------------------------------
# Athena backend


@dataclass(frozen=True)
class PollPolicy:
    """How to wait for an Athena query: backoff from ``initial`` to ``maximum`` seconds."""

    initial: float = 0.25
    maximum: float = 2.0
    factor: float = 2.0
    timeout: float = 300.0


_TZ_VALUE = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d[ T][\d:.]+)\s*(?P<zone>\S+)?$")


def _athena_timestamp(value: str, with_zone: bool) -> Any:
    match = _TZ_VALUE.match(value.strip())
    if not match:
        return value
    stamp = dt.datetime.fromisoformat(_trim_fraction(match["ts"].replace("T", " ")))
    zone = match["zone"]
    if not with_zone or not zone:
        return stamp
    if re.fullmatch(r"[+-]\d\d:\d\d", zone):
        return dt.datetime.fromisoformat(f"{stamp.isoformat()}{zone}")
    try:
        return stamp.replace(tzinfo=ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return value


def _trim_fraction(stamp: str) -> str:
    # Python 3.10's fromisoformat takes 3 or 6 fraction digits; Athena may send up to 12.
    head, dot, fraction = stamp.partition(".")
    if not dot:
        return stamp
    return f"{head}.{(fraction + '000000')[:6]}"


def convert_athena_value(value: str | None, athena_type: str) -> Any:
    """An Athena result cell (always text) as a Python value of the column's type."""
    if value is None:
        return None
    kind = athena_type.lower().strip()
    try:
        if kind in {"tinyint", "smallint", "integer", "int", "bigint"}:
            return int(value)
        if kind in {"double", "real", "float"}:
            return float(value)
        if kind.startswith("decimal"):
            return decimal.Decimal(value)
        if kind == "boolean":
            return value.lower() == "true"
        if kind == "date":
            return dt.date.fromisoformat(value)
        if kind.startswith("timestamp"):
            return _athena_timestamp(value, with_zone="with time zone" in kind)
    except (ValueError, decimal.InvalidOperation):
        return value
    return value


def _athena_hint(reason: str, names: ResourceNames) -> str:
    lowered = reason.lower()
    if "catalog" in lowered and ("not" in lowered or "does not exist" in lowered):
        return (
            f" (is the stack deployed with the DynamoDB connector? the data catalog "
            f"{names.data_catalog!r} comes from cdk deploy with dynamodb_connector=true)"
        )
    if "table" in lowered and ("not found" in lowered or "does not exist" in lowered):
        return f" (is the stack deployed? the table should be {names.table!r})"
    return ""


def run_athena(
    sql: str,
    *,
    names: ResourceNames,
    athena_client: AthenaClient,
    poll: PollPolicy = PollPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    page_size: int = 1000,
) -> QueryResult:
    """Run ``sql`` in the stack's workgroup and return every row, typed.

    Unqualified table names resolve in the connector catalog's ``default`` schema, i.e. a bare
    ``"attempt-dynamodb-sensor-data"`` names the DynamoDB table.
    """
    try:
        started = athena_client.start_query_execution(
            QueryString=sql,
            WorkGroup=names.workgroup,
            QueryExecutionContext={
                "Catalog": names.data_catalog,
                "Database": CONNECTOR_DEFAULT_SCHEMA,
            },
        )
    except ClientError as error:
        raise QueryError(
            f"Athena refused the query in workgroup {names.workgroup!r}: "
            f"{error.response.get('Error', {}).get('Message', error)}"
            f"{_athena_hint(str(error), names)}; is the stack deployed (cdk deploy)?"
        ) from error
    except BotoCoreError as error:
        raise QueryError(f"cannot reach Athena: {error}") from error
    execution_id = started["QueryExecutionId"]
    execution = _wait(athena_client, execution_id, names, poll=poll, sleep=sleep, clock=clock)
    columns, types, rows = _fetch_results(athena_client, execution_id, execution, page_size)
    return QueryResult(
        columns=columns,
        rows=rows,
        backend="athena",
        column_types=types,
        query_execution_id=execution_id,
        sql=sql,
    )


def _wait(
    client: AthenaClient,
    execution_id: str,
    names: ResourceNames,
    *,
    poll: PollPolicy,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> Mapping[str, Any]:
    deadline = clock() + poll.timeout
    delay = poll.initial
    while True:
        execution = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        status = execution.get("Status", {})
        state = status.get("State", "")
        if state == "SUCCEEDED":
            return cast(Mapping[str, Any], execution)
        if state == "FAILED":
            athena_error = status.get("AthenaError", {})
            reason = (
                status.get("StateChangeReason")
                or athena_error.get("ErrorMessage")
                or "no reason given"
            )
            category = athena_error.get("ErrorType")
            detail = f" [error type {category}]" if category is not None else ""
            raise QueryFailed(
                f"Athena query {execution_id} failed: {reason}{detail}"
                f"{_athena_hint(reason, names)}"
            )
        if state == "CANCELLED":
            reason = status.get("StateChangeReason") or "cancelled"
            raise QueryCancelled(f"Athena query {execution_id} was cancelled: {reason}")
        if clock() >= deadline:
            try:
                client.stop_query_execution(QueryExecutionId=execution_id)
            except ClientError:
                pass
            raise QueryTimeout(
                f"Athena query {execution_id} still {state or 'pending'} after "
                f"{poll.timeout:g} s; asked Athena to stop it (raise --timeout to wait longer)"
            )
        sleep(delay)
        delay = min(delay * poll.factor, poll.maximum)


def _fetch_results(
    client: AthenaClient, execution_id: str, execution: Mapping[str, Any], page_size: int
) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
    columns: list[str] = []
    types: list[str] = []
    rows: list[tuple[Any, ...]] = []
    statement_type = execution.get("StatementType", "")
    token: str | None = None
    first_page = True
    while True:
        kwargs: dict[str, Any] = {"QueryExecutionId": execution_id, "MaxResults": page_size}
        if token:
            kwargs["NextToken"] = token
        page = client.get_query_results(**kwargs)
        result_set = page.get("ResultSet", {})
        if first_page:
            info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            columns = [str(c.get("Label") or c.get("Name", "")) for c in info]
            types = [str(c.get("Type", "varchar")) for c in info]
        page_rows = [
            [d.get("VarCharValue") for d in r.get("Data", [])] for r in result_set.get("Rows", [])
        ]
        if first_page and page_rows:
            # A SELECT's first row repeats the column labels.
            if statement_type == "DML" or page_rows[0] == columns:
                page_rows = page_rows[1:]
        for raw in page_rows:
            rows.append(
                tuple(
                    convert_athena_value(raw[i] if i < len(raw) else None, types[i])
                    for i in range(len(columns))
                )
            )
        first_page = False
        token = page.get("NextToken")
        if not token:
            return columns, types, rows


# --------------------------------------------------------------------------------------------
# Public entry points


def run_query(
    sql: str,
    *,
    backend: Backend | str = "auto",
    names: ResourceNames = ResourceNames(),
    session: boto3.Session | None = None,
    athena_client: AthenaClient | None = None,
    dynamodb_client: DynamoDBClient | None = None,
    now: dt.datetime | None = None,
    poll: PollPolicy = PollPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    env: Mapping[str, str] | None = None,
) -> QueryResult:
    """Run one Athena SQL statement on Athena or on the local DuckDB stand-in.

    ``now`` freezes ``current_timestamp`` (local backend only), for reproducible results.
    Clients default to ones made from ``session`` (default: a session in the configured
    region, else ap-northeast-1).
    """
    chosen = resolve_backend(backend, env)
    if chosen == "local":
        client = dynamodb_client or _dynamodb(session)
        return run_local(sql, names=names, dynamodb_client=client, now=now)
    if now is not None:
        raise QueryError("a frozen 'now' works only on the local backend")
    return run_athena(
        sql, names=names, athena_client=athena_client or _athena(session), poll=poll, sleep=sleep
    )


def run_named(
    name: str,
    *,
    backend: Backend | str = "auto",
    names: ResourceNames = ResourceNames(),
    session: boto3.Session | None = None,
    athena_client: AthenaClient | None = None,
    dynamodb_client: DynamoDBClient | None = None,
    now: dt.datetime | None = None,
    poll: PollPolicy = PollPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    env: Mapping[str, str] | None = None,
) -> QueryResult:
    """Run the named query ``name`` (a ``.sql`` file in infra/queries) for these names."""
    try:
        query = load_named_query(name, catalog=names.data_catalog, table=names.table)
    except NamedQueryError as error:
        raise QueryError(str(error)) from error
    return run_query(
        query.sql,
        backend=backend,
        names=names,
        session=session,
        athena_client=athena_client,
        dynamodb_client=dynamodb_client,
        now=now,
        poll=poll,
        sleep=sleep,
        env=env,
    )


LATEST_COLUMNS = [
    "device_id",
    "timestamp",
    "measured_at_jst",
    "temperature",
    "humidity",
    "light",
    "rssi",
    "seq",
    "received_at",
]


def latest_readings(
    device_id: str,
    *,
    limit: int = 10,
    names: ResourceNames = ResourceNames(),
    session: boto3.Session | None = None,
    dynamodb_client: DynamoDBClient | None = None,
) -> QueryResult:
    """The device's ``limit`` newest readings: a DynamoDB Query on its key, never a Scan."""
    if limit < 1:
        raise QueryError("--limit must be at least 1")
    client = dynamodb_client or _dynamodb(session)
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
        if _error_code(error) == "ResourceNotFoundException":
            raise TableNotFound(
                f"DynamoDB table {names.table!r} not found{_where(client)}: {NOT_DEPLOYED_HINT}"
            ) from error
        raise QueryError(f"cannot query DynamoDB table {names.table!r}: {error}") from error
    except BotoCoreError as error:
        raise QueryError(f"cannot reach DynamoDB{_where(client)}: {error}") from error
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


# --------------------------------------------------------------------------------------------
# Output


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


def format_value(value: Any, *, null: str = "NULL") -> str:
    """A cell as text: NULL for missing, ISO-8601 times, plain numbers."""
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def render_table(result: QueryResult) -> str:
    """An aligned text table; numbers right-aligned; a row count at the end."""
    if not result.columns:
        return "(no columns)\n"
    cells = [[format_value(v) for v in row] for row in result.rows]
    widths = [len(c) for c in result.columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    numeric = [
        any(_is_number(row[i]) for row in result.rows)
        and all(row[i] is None or _is_number(row[i]) for row in result.rows)
        for i in range(len(result.columns))
    ]

    def line(values: Sequence[str], align: Sequence[bool]) -> str:
        parts = [v.rjust(w) if right else v.ljust(w) for v, w, right in zip(values, widths, align)]
        return "  ".join(parts).rstrip()

    lines = [line(result.columns, numeric), "  ".join("-" * w for w in widths)]
    lines += [line(row, numeric) for row in cells]
    count = len(result.rows)
    lines.append(f"({count} row{'s' if count != 1 else ''})")
    return "\n".join(lines) + "\n"


def render_csv(result: QueryResult) -> str:
    """CSV with a header row; NULL is an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([format_value(v, null="") for v in row])
    return buffer.getvalue()


def render_json(result: QueryResult, *, lines: bool = False) -> str:
    """A JSON array of row objects, or JSON lines (one object per line)."""
    objects = [{c: _jsonable(v) for c, v in zip(result.columns, row)} for row in result.rows]
    if lines:
        return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
    return json.dumps(objects, ensure_ascii=False, indent=2) + "\n"


def render(result: QueryResult, fmt: OutputFormat | str = "table") -> str:
    """The result in ``table``, ``csv``, ``json`` (array) or ``jsonl`` (JSON lines) form."""
    if fmt == "table":
        return render_table(result)
    if fmt == "csv":
        return render_csv(result)
    if fmt == "json":
        return render_json(result)
    if fmt == "jsonl":
        return render_json(result, lines=True)
    raise QueryError(f"unknown format {fmt!r}; use table, csv, json or jsonl")


# --------------------------------------------------------------------------------------------
# CLI


def _parse_now(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {text!r}") from error
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _common_options() -> argparse.ArgumentParser:
    # Defaults are applied in main(), so the options work before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--prefix", default=argparse.SUPPRESS, help="resource name prefix (default: attempt)"
    )
    common.add_argument(
        "--backend",
        choices=["auto", "athena", "local"],
        default=argparse.SUPPRESS,
        help="auto (default): local when AWS_ENDPOINT_URL is a local emulator, else athena",
    )
    common.add_argument(
        "--format",
        choices=["table", "csv", "json", "jsonl"],
        default=argparse.SUPPRESS,
        help="output format (default: table)",
    )
    common.add_argument("--region", default=argparse.SUPPRESS, help="AWS region")
    common.add_argument(
        "--timeout",
        type=float,
        default=argparse.SUPPRESS,
        help="seconds to wait for an Athena query (default: 300)",
    )
    common.add_argument(
        "--now",
        type=_parse_now,
        default=argparse.SUPPRESS,
        help="local backend only: run as if current_timestamp were this ISO-8601 time",
    )
    common.add_argument(
        "--show-sql",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the SQL that ran (DuckDB SQL on the local backend) to stderr",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="wio-query",
        parents=[common],
        description=(
            "Query the Wio Terminal sensor data: named Athena queries, ad-hoc Athena SQL, or "
            "a device's latest readings. On real AWS it runs through Athena; against local AWS "
            "it runs the same SQL in DuckDB over the DynamoDB table's items."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", parents=[common], help="list the named queries")
    show = sub.add_parser("show", parents=[common], help="print a named query's SQL")
    show.add_argument("name")
    named = sub.add_parser("named", parents=[common], help="run a named query")
    named.add_argument("name", help="see: wio-query list")
    ad_hoc = sub.add_parser("sql", parents=[common], help="run one Athena SQL statement")
    ad_hoc.add_argument("sql", help="the statement, or - to read it from stdin")
    latest = sub.add_parser(
        "latest", parents=[common], help="a device's newest readings (DynamoDB Query, no Scan)"
    )
    latest.add_argument("--device-id", required=True)
    latest.add_argument("--limit", type=int, default=10, help="how many readings (default: 10)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    names = ResourceNames(getattr(args, "prefix", "attempt"))
    backend: str = getattr(args, "backend", "auto")
    fmt: str = getattr(args, "format", "table")
    now: dt.datetime | None = getattr(args, "now", None)
    poll = PollPolicy(timeout=getattr(args, "timeout", PollPolicy.timeout))
    region: str | None = getattr(args, "region", None)
    show_sql: bool = getattr(args, "show_sql", False)
    out = sys.stdout
    try:
        if args.command == "list":
            queries = load_named_queries(catalog=names.data_catalog, table=names.table)
            listing = QueryResult(
                columns=["name", "description"],
                rows=[(q.name, q.description) for q in queries],
                backend="files",
            )
            out.write(render(listing, fmt))
            return 0
        if args.command == "show":
            query = load_named_query(args.name, catalog=names.data_catalog, table=names.table)
            out.write(f"-- Athena SQL ({query.name})\n{query.sql}\n")
            if resolve_backend(backend) == "local":
                duck_sql = to_duckdb_sql(query.sql, names=names, pretty=True)
                out.write(f"\n-- DuckDB SQL (local stand-in)\n{duck_sql}\n")
            return 0
        session = make_session(region)
        if args.command == "latest":
            result = latest_readings(args.device_id, limit=args.limit, names=names, session=session)
        else:
            if args.command == "named":
                sql = load_named_query(args.name, catalog=names.data_catalog, table=names.table).sql
            else:
                sql = sys.stdin.read() if args.sql == "-" else args.sql
            result = run_query(
                sql, backend=backend, names=names, session=session, now=now, poll=poll
            )
    except (QueryError, NamedQueryError) as error:
        print(f"wio-query: error: {error}", file=sys.stderr)
        return 1
    if show_sql and result.sql:
        print(f"-- SQL run by the {result.backend} backend:\n{result.sql}", file=sys.stderr)
    if result.notice:
        # Machine-readable formats keep stdout clean; the table shows the notice above it.
        print(result.notice, file=out if fmt == "table" else sys.stderr)
    if result.query_execution_id and fmt == "table":
        print(f"Athena query execution id: {result.query_execution_id}", file=out)
    out.write(render(result, fmt))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
