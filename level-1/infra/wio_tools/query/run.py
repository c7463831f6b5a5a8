"""Run Athena SQL or a named query on the chosen backend."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Callable, Mapping

import boto3

from wio_contract.names import ResourceNames
from infra.queries import NamedQueryError, load_named_query
from wio_tools.query.athena import PollPolicy, run_athena
from wio_tools.query.aws import _athena, _dynamodb, resolve_backend
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
        query = load_named_query(name, names=names)
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
