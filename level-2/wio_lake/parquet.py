"""Parquet files with the lake's columns, written by DuckDB (no pyarrow needed)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from wio_lake_functions.records import lake_fields


def column_definition() -> str:
    return ", ".join(f'"{f.name}" {f.duckdb_type}' for f in lake_fields())


def parquet_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One Snappy Parquet file holding ``rows`` (missing values become NULL)."""
    names = [f.name for f in lake_fields()]
    with tempfile.TemporaryDirectory(prefix="wio-parquet-") as tmp:
        path = Path(tmp) / "rows.parquet"
        con = duckdb.connect()
        try:
            con.execute(f"CREATE TABLE t ({column_definition()})")
            if rows:
                placeholders = ", ".join("?" for _ in names)
                con.executemany(
                    f"INSERT INTO t VALUES ({placeholders})",
                    [[row.get(n) for n in names] for row in rows],
                )
            con.execute(f"COPY (SELECT * FROM t ORDER BY device_id, \"timestamp\") TO "
                        f"'{path}' (FORMAT PARQUET, COMPRESSION SNAPPY)")  # fmt: skip
        finally:
            con.close()
        return path.read_bytes()
