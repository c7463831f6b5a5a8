"""Output: an aligned table, CSV, a JSON array or JSON lines."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from typing import Any, Sequence

from wio_tools.query.model import OutputFormat, QueryError, QueryResult
from wio_tools.query.values import _jsonable


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
