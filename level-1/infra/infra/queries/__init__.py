"""The Athena named queries, kept as ``.sql`` files beside this module.

Pure Python (no CDK import): the CDK stack turns them into ``AWS::Athena::NamedQuery``
resources and ``wio-query`` runs them, on Athena or on the local DuckDB stand-in.

Each ``<name>.sql`` file starts with ``-- <description>``. The SQL may use ``${catalog}``
(the Athena DynamoDB connector's data catalog) and ``${table}`` (the DynamoDB table name);
:func:`load_named_queries` fills them in with :class:`string.Template`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent
"""Folder that holds the ``.sql`` files."""

_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DESCRIPTION_PREFIX = "--"


class NamedQueryError(ValueError):
    """A ``.sql`` file is malformed or a query name is unknown."""


@dataclass(frozen=True)
class NamedQuerySql:
    """One named query with its placeholders filled in."""

    name: str
    """Kebab-case name, the file name without ``.sql``."""
    description: str
    """The text of the file's first line, after ``--``."""
    sql: str
    """The query text (the whole file, comments included), without a trailing ``;``."""


def query_files() -> list[Path]:
    """The ``.sql`` files, sorted by name."""
    return sorted(QUERY_DIR.glob("*.sql"))


def query_names() -> list[str]:
    """The names of the named queries, sorted."""
    return [path.stem for path in query_files()]


def _parse_file(path: Path, *, catalog: str, table: str) -> NamedQuerySql:
    name = path.stem
    if not _NAME_RE.match(name):
        raise NamedQueryError(f"{path.name}: the name {name!r} is not kebab-case")
    text = path.read_text(encoding="utf-8")
    first_line, _, _ = text.partition("\n")
    if not first_line.startswith(_DESCRIPTION_PREFIX):
        raise NamedQueryError(f"{path.name}: the first line must be '-- <description>'")
    description = first_line[len(_DESCRIPTION_PREFIX) :].strip()
    if not description:
        raise NamedQueryError(f"{path.name}: the description on the first line is empty")
    try:
        sql = string.Template(text).substitute(catalog=catalog, table=table)
    except (KeyError, ValueError) as error:
        raise NamedQueryError(
            f"{path.name}: unknown or malformed placeholder ({error}); "
            "only ${catalog} and ${table} are defined"
        ) from error
    sql = sql.strip().rstrip(";").rstrip()
    return NamedQuerySql(name=name, description=description, sql=sql)


def load_named_queries(*, catalog: str, table: str) -> list[NamedQuerySql]:
    """Every named query, sorted by name, for this data catalog and DynamoDB table.

    ``catalog`` is the Athena data catalog registered for the DynamoDB connector and
    ``table`` the DynamoDB table; the SQL reads ``"<catalog>"."default"."<table>"``.
    """
    for value, what in ((catalog, "catalog"), (table, "table")):
        if not value or '"' in value:
            raise NamedQueryError(f"invalid {what} name {value!r}")
    return [_parse_file(path, catalog=catalog, table=table) for path in query_files()]


def load_named_query(name: str, *, catalog: str, table: str) -> NamedQuerySql:
    """One named query by name; :class:`NamedQueryError` lists the known names if absent."""
    for query in load_named_queries(catalog=catalog, table=table):
        if query.name == name:
            return query
    known = ", ".join(query_names())
    raise NamedQueryError(f"no named query {name!r}; known: {known}")
