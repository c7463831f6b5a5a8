"""What every part of ``wio-query`` shares: the result, the errors, and common names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Backend = Literal["auto", "athena", "local"]
ResolvedBackend = Literal["athena", "local"]
OutputFormat = Literal["table", "csv", "json", "jsonl"]

JST = dt.timezone(dt.timedelta(hours=9), "JST")
LOCAL_RELATION = "wio_sensor_data"
"""Name of the DuckDB table that holds the local copy of the DynamoDB items."""
ATHENA_DEFAULT_CATALOG = "awsdatacatalog"
CONNECTOR_DEFAULT_SCHEMA = "default"

NOT_DEPLOYED_HINT = "stack not deployed? run make -C level-1 up"


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
