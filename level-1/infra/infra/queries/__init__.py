"""The Athena named queries, kept as ``.sql`` files beside this module.

Pure Python (no CDK import): the CDK stack turns them into ``AWS::Athena::NamedQuery``
resources and ``wio-query`` runs them, on Athena or on the local DuckDB stand-in.

Each ``<name>.sql`` file starts with ``-- <description>``. The SQL may use ``${catalog}``
(the Athena DynamoDB connector's data catalog), ``${database}`` (the flagged Glue database) and
``${table}`` (the Glue table typed from the payload contract, which points at the DynamoDB
table); :func:`load_named_queries` fills them in with :class:`string.Template`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from wio_contract.names import ResourceNames

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


def _parse_file(path: Path, *, names: ResourceNames) -> NamedQuerySql:
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
        sql = string.Template(text).substitute(
            catalog=names.data_catalog, database=names.glue_database, table=names.glue_table
        )
    except (KeyError, ValueError) as error:
        raise NamedQueryError(
            f"{path.name}: unknown or malformed placeholder ({error}); "
            "only ${catalog}, ${database} and ${table} are defined"
        ) from error
    sql = sql.strip().rstrip(";").rstrip()
    return NamedQuerySql(name=name, description=description, sql=sql)


def load_named_queries(*, names: ResourceNames) -> list[NamedQuerySql]:
    """Every named query, sorted by name, for the resources of ``names``.

    The SQL reads ``"<connector catalog>"."<Glue database>"."<Glue table>"``.
    """
    return [_parse_file(path, names=names) for path in query_files()]


def load_named_query(name: str, *, names: ResourceNames) -> NamedQuerySql:
    """One named query by name; :class:`NamedQueryError` lists the known names if absent."""
    for query in load_named_queries(names=names):
        if query.name == name:
            return query
    known = ", ".join(query_names())
    raise NamedQueryError(f"no named query {name!r}; known: {known}")
