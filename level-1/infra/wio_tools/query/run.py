"""Run Athena SQL or a named query on the chosen backend."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Callable

from wio_contract.names import ResourceNames
from infra.queries import NamedQueryError, load_named_query
from wio_tools.query.athena import PollPolicy, run_athena
from wio_tools.environment import AwsEnvironment
from wio_tools.query.aws import athena_client as default_athena
from wio_tools.query.aws import dynamodb_client as default_dynamodb
from wio_tools.query.aws import resolve_backend
from wio_tools.query.local import run_local
from wio_tools.query.model import Backend, QueryError, QueryResult

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_dynamodb import DynamoDBClient


def run_query(
    sql: str,
    *,
    backend: Backend | str = "auto",
    names: ResourceNames = ResourceNames(),
    environment: AwsEnvironment | None = None,
    athena_client: AthenaClient | None = None,
    dynamodb_client: DynamoDBClient | None = None,
    now: dt.datetime | None = None,
    poll: PollPolicy = PollPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResult:
    """Run one Athena SQL statement on Athena or on the local DuckDB stand-in.

    ``now`` freezes ``current_timestamp`` (local backend only), for reproducible results.
    Clients default to ones from ``environment`` (default: :meth:`AwsEnvironment.resolve`).
    """
    chosen = resolve_backend(backend, environment)
    if chosen == "local":
        client = dynamodb_client or default_dynamodb(environment)
        return run_local(sql, names=names, dynamodb_client=client, now=now)
    if now is not None:
        raise QueryError("a frozen 'now' works only on the local backend")
    return run_athena(
        sql,
        names=names,
        athena_client=athena_client or default_athena(environment),
        poll=poll,
        sleep=sleep,
    )


def run_named(
    name: str,
    *,
    backend: Backend | str = "auto",
    names: ResourceNames = ResourceNames(),
    environment: AwsEnvironment | None = None,
    athena_client: AthenaClient | None = None,
    dynamodb_client: DynamoDBClient | None = None,
    now: dt.datetime | None = None,
    poll: PollPolicy = PollPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResult:
    """Run the named query ``name`` (a ``.sql`` file in infra/queries) for these names."""
    try:
        query = load_named_query(name, names=names)
    except NamedQueryError as error:
        raise QueryError(str(error)) from error
    return run_query(
        query.sql,
        backend=backend,
        names=names,
        environment=environment,
        athena_client=athena_client,
        dynamodb_client=dynamodb_client,
        now=now,
        poll=poll,
        sleep=sleep,
    )
