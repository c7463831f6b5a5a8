"""The athena backend: start the query, poll with backoff, page through typed results."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botocore.exceptions import BotoCoreError, ClientError

from wio_contract.names import ResourceNames
from wio_tools.query.model import (
    CONNECTOR_DEFAULT_SCHEMA,
    QueryCancelled,
    QueryError,
    QueryFailed,
    QueryResult,
    QueryTimeout,
)

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient


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
