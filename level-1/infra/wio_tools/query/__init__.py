"""``wio-query``: run the named Athena queries, ad-hoc SQL, or a device's latest readings.

Two backends answer the same Athena SQL:

* ``athena`` (real AWS): the query runs in the stack's Athena workgroup, through the DynamoDB
  connector's data catalog. The tool polls with backoff, reports a failure's reason, and pages
  through the results, typed by Athena's column metadata.
* ``local`` (MiniStack or another emulator): MiniStack's Athena cannot read DynamoDB, so the tool
  scans the table's items into DuckDB and runs the Athena SQL there, transpiled by sqlglot. Every
  table reference that names the sensor table (through the connector catalog, the Glue database,
  or bare) resolves to that local copy. The output says the results come from this stand-in.

``auto`` picks ``local`` when the environment (``wio_tools.environment``) is local AWS, else
``athena``.

``latest`` never runs SQL: it is a bounded DynamoDB Query on the device's key, newest first.

Library API (used by the tests), re-exported here from this package's modules::

    run_query(sql, *, backend="auto", names=ResourceNames(), environment=None, ...)
    run_named(name, *, backend="auto", names=ResourceNames(), ...) -> QueryResult
    latest_readings(device_id, *, limit=10, names=ResourceNames(), ...) -> QueryResult
    render(result, fmt) -> str

Modules: ``model`` (result, errors, shared names), ``aws`` (backend choice, clients),
``values`` (DynamoDB value conversion), ``sql`` (Athena SQL -> DuckDB SQL), ``local`` and
``athena`` (the two backends), ``run`` (``run_query``, ``run_named``), ``latest``, ``render``
(output formats), ``report`` (``wio-query report``: one self-contained HTML file of charts) and
``cli`` (``wio-query``).
"""

from __future__ import annotations

from wio_tools.query.athena import PollPolicy, convert_athena_value, run_athena
from wio_tools.query.aws import resolve_backend
from wio_tools.query.cli import build_parser, main
from wio_tools.query.latest import LATEST_COLUMNS, latest_readings
from wio_tools.query.local import connect_duckdb, load_items, run_local, scan_items
from wio_tools.query.model import (
    ATHENA_DEFAULT_CATALOG,
    CONNECTOR_DEFAULT_SCHEMA,
    JST,
    LOCAL_RELATION,
    NOT_DEPLOYED_HINT,
    Backend,
    OutputFormat,
    QueryCancelled,
    QueryError,
    QueryFailed,
    QueryResult,
    QueryTimeout,
    ResolvedBackend,
    TableNotFound,
)
from wio_tools.query.render import format_value, render, render_csv, render_json, render_table
from wio_tools.query.run import run_named, run_query
from wio_tools.query.sql import (
    freeze_now,
    name_columns_like_athena,
    parse_athena,
    rewrite_table_references,
    to_duckdb_sql,
)
from wio_tools.query.values import SENSOR_COLUMNS, deserialize_item

__all__ = [
    "ATHENA_DEFAULT_CATALOG",
    "Backend",
    "CONNECTOR_DEFAULT_SCHEMA",
    "JST",
    "LATEST_COLUMNS",
    "LOCAL_RELATION",
    "NOT_DEPLOYED_HINT",
    "OutputFormat",
    "PollPolicy",
    "QueryCancelled",
    "QueryError",
    "QueryFailed",
    "QueryResult",
    "QueryTimeout",
    "ResolvedBackend",
    "SENSOR_COLUMNS",
    "TableNotFound",
    "build_parser",
    "connect_duckdb",
    "convert_athena_value",
    "deserialize_item",
    "format_value",
    "freeze_now",
    "latest_readings",
    "load_items",
    "main",
    "name_columns_like_athena",
    "parse_athena",
    "render",
    "render_csv",
    "render_json",
    "render_table",
    "resolve_backend",
    "rewrite_table_references",
    "run_athena",
    "run_local",
    "run_named",
    "run_query",
    "scan_items",
    "to_duckdb_sql",
]
