"""Athena SQL -> DuckDB SQL: parse with sqlglot, point the sensor table at the local copy,
freeze 'now', name columns as Athena does, and transpile."""

from __future__ import annotations

import datetime as dt

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from wio_contract.names import ResourceNames
from wio_tools.query.model import (
    ATHENA_DEFAULT_CATALOG,
    CONNECTOR_DEFAULT_SCHEMA,
    LOCAL_RELATION,
    QueryError,
)


def _table_aliases(names: ResourceNames) -> tuple[set[str], set[str], set[str]]:
    tables = {names.table.lower(), names.glue_table.lower()}
    databases = {"", CONNECTOR_DEFAULT_SCHEMA, names.glue_database.lower()}
    catalogs = {"", names.data_catalog.lower(), ATHENA_DEFAULT_CATALOG}
    return tables, databases, catalogs


def rewrite_table_references(
    expression: exp.Expr,
    *,
    names: ResourceNames,
    relation: str = LOCAL_RELATION,
) -> exp.Expr:
    """Point every reference to the sensor table at the local DuckDB relation (in place).

    Accepted forms, case-insensitive: the DynamoDB table name or the crawler's table name,
    bare or qualified by the connector's ``default`` schema or the Glue database, optionally
    under the connector catalog or ``awsdatacatalog``. A reference keeps its alias, or gets
    its old name as alias so qualified columns still resolve. Any other table that is not a
    CTE raises :class:`QueryError`.
    """
    tables, databases, catalogs = _table_aliases(names)
    ctes = {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}
    for table in list(expression.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as UNNEST or generate_series
        name, db, catalog = table.name.lower(), table.db.lower(), table.catalog.lower()
        if not db and not catalog and name in ctes:
            continue
        if name in tables and db in databases and catalog in catalogs:
            original = table.name
            table.set("this", exp.to_identifier(relation))
            table.set("db", None)
            table.set("catalog", None)
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(original, quoted=True)))
            continue
        known = f'"{names.data_catalog}"."default"."{names.table}"'
        raise QueryError(
            f"the local stand-in for Athena knows only the sensor table ({known}, "
            f'"{names.glue_database}"."{names.glue_table}" or "{names.table}"); '
            f"the query names {table.sql(dialect='athena')}"
        )
    for column in expression.find_all(exp.Column):
        if column.table.lower() in tables and (column.args.get("db") or column.args.get("catalog")):
            column.set("db", None)
            column.set("catalog", None)
    return expression


def freeze_now(expression: exp.Expr, now: dt.datetime) -> exp.Expr:
    """Replace current_timestamp/now() and current_date by the fixed instant ``now``."""
    if now.tzinfo is None:
        raise QueryError("the frozen 'now' needs a time zone (for example +00:00)")
    instant = now.astimezone(dt.timezone.utc)

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.CurrentTimestamp):
            literal = exp.Literal.string(instant.isoformat())
            return exp.cast(literal, exp.DataType.Type.TIMESTAMPTZ)
        if isinstance(node, exp.CurrentDate):
            return exp.cast(exp.Literal.string(instant.date().isoformat()), exp.DataType.Type.DATE)
        return node

    return expression.transform(replace)


def name_columns_like_athena(expression: exp.Expr) -> exp.Expr:
    """Name the top-level SELECT's unnamed expressions ``_col<position>``, as Athena does."""
    if isinstance(expression, exp.Select):
        named: list[exp.Expr] = []
        for position, item in enumerate(expression.expressions):
            if isinstance(item, (exp.Alias, exp.Column, exp.Star)):
                named.append(item)
            else:
                named.append(exp.alias_(item, f"_col{position}"))
        expression.set("expressions", named)
    return expression


def parse_athena(sql: str) -> exp.Expr:
    """Parse one Athena (Trino) statement; :class:`QueryError` on a syntax error or several."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except ParseError as error:
        raise QueryError(f"cannot parse the SQL as Athena SQL: {error}") from error
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


def to_duckdb_sql(
    sql: str,
    *,
    names: ResourceNames,
    relation: str = LOCAL_RELATION,
    now: dt.datetime | None = None,
    pretty: bool = False,
) -> str:
    """The Athena statement as DuckDB SQL over ``relation`` (tables rewritten, 'now' frozen)."""
    expression = rewrite_table_references(parse_athena(sql), names=names, relation=relation)
    expression = name_columns_like_athena(expression)
    if now is not None:
        expression = freeze_now(expression, now)
    try:
        return expression.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE, pretty=pretty)
    except UnsupportedError as error:
        raise QueryError(f"sqlglot cannot express this SQL in DuckDB: {error}") from error
