"""The saved lake queries: portable SQL (Trino and DuckDB), always filtered on dt."""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import pytest

from analytics_infra.queries import load_queries
from wio_lake.parquet import parquet_bytes

pytestmark = pytest.mark.unit
#: Functions the emulator's DuckDB does not have (NOTES.md); Athena-only syntax.
NOT_PORTABLE = ("from_unixtime", "to_unixtime", "approx_percentile", "date_format", "at time zone")


def test_queries_are_portable_and_use_the_partition() -> None:
    queries = load_queries()
    assert set(queries) == {"hourly-averages-one-device", "daily-stats-all-devices"}
    for query in queries.values():
        sql = query.render(database="attempt_lake", table="readings", device_id="wio-1").lower()
        code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
        for name in NOT_PORTABLE:
            assert name not in code, (query.name, name)
        assert re.search(r"where dt >= ", code), query.name
        assert not re.search(r'"timestamp"\s*/', code), "integer / is a double in DuckDB"


def test_device_parameter_is_quoted_or_left_to_athena() -> None:
    hourly = load_queries()["hourly-averages-one-device"]
    assert hourly.has_device_parameter
    assert "device_id = ?" in hourly.render(database="d", table="t")
    assert "device_id = 'it''s'" in hourly.render(database="d", table="t", device_id="it's")


def test_queries_run_in_duckdb_over_lake_parquet(tmp_path: Path) -> None:

    now = int(time.time()) // 60 * 60
    rows = [
        {"device_id": "wio-1", "timestamp": now - 60 * i, "temperature": 20.0 + i % 3,
         "humidity": 50.0, "light": 300 + i}  # fmt: skip
        for i in range(0, 180)
    ]
    days = sorted({time.strftime("%Y-%m-%d", time.gmtime(r["timestamp"])) for r in rows})
    for day in days:
        folder = tmp_path / "readings" / f"dt={day}"
        folder.mkdir(parents=True)
        part = [r for r in rows if time.strftime("%Y-%m-%d", time.gmtime(r["timestamp"])) == day]
        (folder / "part.parquet").write_bytes(parquet_bytes(part))
    con = duckdb.connect()
    con.execute('CREATE SCHEMA "attempt_lake"')
    con.execute(
        'CREATE VIEW "attempt_lake"."readings" AS SELECT * FROM read_parquet('
        f"'{tmp_path}/readings/*/*.parquet', hive_partitioning = true, "
        "hive_types = {'dt': VARCHAR})"
    )
    queries = load_queries()
    hourly = con.execute(
        queries["hourly-averages-one-device"].render(
            database="attempt_lake", table="readings", device_id="wio-1"
        )
    ).fetchall()
    assert 3 <= len(hourly) <= 4 and sum(h[3] for h in hourly) == 180
    assert all(h[1] % 3600 == 0 for h in hourly)
    daily = con.execute(
        queries["daily-stats-all-devices"].render(database="attempt_lake", table="readings")
    ).fetchall()
    assert sum(d[2] for d in daily) == 180 and daily[0][0] == "wio-1"
