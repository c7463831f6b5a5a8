"""Run one Athena query through the level-1 workgroup and wait for its rows."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


class AthenaQueryError(RuntimeError):
    pass


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[list[str | None]]
    seconds: float
    execution_id: str
    statistics: dict[str, Any]

    def as_dicts(self) -> list[dict[str, str | None]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def run_query(
    athena: Any, sql: str, *, database: str, workgroup: str, timeout: float = 120.0
) -> QueryResult:
    started = time.monotonic()
    qid = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=workgroup
    )["QueryExecutionId"]
    delay = 0.1
    while True:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        state = execution["Status"]["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            reason = execution["Status"].get("StateChangeReason", "")
            raise AthenaQueryError(f"query {qid} {state}: {reason}")
        if time.monotonic() - started > timeout:
            raise AthenaQueryError(f"query {qid} still {state} after {timeout:.0f}s")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
    seconds = time.monotonic() - started
    columns: list[str] = []
    rows: list[list[str | None]] = []
    token: str | None = None
    first = True
    while True:
        kwargs: dict[str, Any] = {"QueryExecutionId": qid}
        if token:
            kwargs["NextToken"] = token
        page = athena.get_query_results(**kwargs)
        data = page["ResultSet"]["Rows"]
        if first:
            columns = [c.get("VarCharValue", "") for c in data[0]["Data"]] if data else []
            data = data[1:]
            first = False
        rows += [[c.get("VarCharValue") for c in r["Data"]] for r in data]
        token = page.get("NextToken")
        if not token:
            break
    return QueryResult(columns, rows, seconds, qid, execution.get("Statistics", {}))
