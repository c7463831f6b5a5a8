"""The ``wio-query`` command line: argparse, and ``main`` tying the backends to the output."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, Sequence

from wio_contract.names import ResourceNames
from infra.queries import NamedQueryError, load_named_queries, load_named_query
from wio_tools.dashboard.assets import AssetsMissing
from wio_tools.query.athena import PollPolicy
from wio_tools.environment import AwsEnvironment, AwsTargetError
from wio_tools.query.aws import resolve_backend
from wio_tools.query.latest import latest_readings
from wio_tools.query.model import QueryError, QueryResult
from wio_tools.query.render import render
from wio_tools.query.report import ReportRange, build_report, write_report
from wio_tools.query.run import run_query
from wio_tools.query.sql import to_duckdb_sql


def _parse_now(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {text!r}") from error
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _common_options() -> argparse.ArgumentParser:
    # Defaults are applied in main(), so the options work before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--prefix", default=argparse.SUPPRESS, help="resource name prefix (default: attempt)"
    )
    common.add_argument(
        "--backend",
        choices=["auto", "athena", "local"],
        default=argparse.SUPPRESS,
        help="auto (default): local when the target is local AWS, else athena",
    )
    common.add_argument(
        "--local",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the local AWS started by `make -C level-1 up` (no env vars needed)",
    )
    common.add_argument(
        "--format",
        choices=["table", "csv", "json", "jsonl"],
        default=argparse.SUPPRESS,
        help="output format (default: table)",
    )
    common.add_argument(
        "--region",
        default=argparse.SUPPRESS,
        help="AWS region (default: AWS_REGION, the profile's region, else ap-northeast-1)",
    )
    common.add_argument(
        "--timeout",
        type=float,
        default=argparse.SUPPRESS,
        help="seconds to wait for an Athena query (default: 300)",
    )
    common.add_argument(
        "--now",
        type=_parse_now,
        default=argparse.SUPPRESS,
        help="local backend only: run as if current_timestamp were this ISO-8601 time",
    )
    common.add_argument(
        "--show-sql",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the SQL that ran (DuckDB SQL on the local backend) to stderr",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="wio-query",
        parents=[common],
        description=(
            "Query the Wio Terminal sensor data: named Athena queries, ad-hoc Athena SQL, or "
            "a device's latest readings. On real AWS it runs through Athena; against local AWS "
            "it runs the same SQL in DuckDB over the DynamoDB table's items."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", parents=[common], help="list the named queries")
    show = sub.add_parser("show", parents=[common], help="print a named query's SQL")
    show.add_argument("name")
    named = sub.add_parser("named", parents=[common], help="run a named query")
    named.add_argument("name", help="see: wio-query list")
    ad_hoc = sub.add_parser("sql", parents=[common], help="run one Athena SQL statement")
    ad_hoc.add_argument("sql", help="the statement, or - to read it from stdin")
    latest = sub.add_parser(
        "latest", parents=[common], help="a device's newest readings (DynamoDB Query, no Scan)"
    )
    latest.add_argument("--device-id", required=True)
    latest.add_argument("--limit", type=int, default=10, help="how many readings (default: 10)")
    _add_report_parser(sub, common)
    return parser


def _add_report_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    report = sub.add_parser(
        "report",
        parents=[common],
        help="write one self-contained HTML file of charts (no external URLs)",
        description="Charts of every measurement per device, from the named query "
        "hourly-averages-per-device generalised to the chosen devices and time range.",
    )
    report.add_argument(
        "--device", action="append", default=[], help="a device (repeatable; default: all)"
    )
    when = report.add_mutually_exclusive_group()
    when.add_argument("--hours", type=float, help="the last N hours (default: 24)")
    when.add_argument("--since", type=_parse_now, help="ISO-8601 start (with --until: end)")
    report.add_argument("--until", type=_parse_now, help="ISO-8601 end (default: now)")
    report.add_argument("--lang", choices=["en", "ja"], default="en", help="labels (default: en)")
    report.add_argument(
        "--output", "-o", type=Path, help="the HTML file (default: ./wio-report-<time>.html)"
    )


def report_window(args: argparse.Namespace, now: dt.datetime | None) -> ReportRange:
    """The report's [since, until) from --hours, or --since/--until, default the last 24 h."""
    until = args.until or now or dt.datetime.now(dt.timezone.utc)
    if args.since is not None:
        return ReportRange(since=args.since, until=until)
    hours = 24.0 if args.hours is None else args.hours
    if hours <= 0:
        raise QueryError("--hours must be more than 0")
    return ReportRange(since=until - dt.timedelta(hours=hours), until=until)


def run_report(
    args: argparse.Namespace,
    *,
    backend: str,
    names: ResourceNames,
    environment: AwsEnvironment,
    now: dt.datetime | None,
    poll: PollPolicy,
) -> Path:
    window = report_window(args, now)
    html_text, result = build_report(
        names,
        window,
        args.device,
        lang=args.lang,
        backend=backend,
        environment=environment,
        now=now,
        poll=poll,
    )
    if result.notice:
        print(result.notice, file=sys.stderr)
    stamp = window.until.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return write_report(args.output or Path(f"wio-report-{stamp}.html"), html_text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    names = ResourceNames(getattr(args, "prefix", "attempt"))
    backend: str = getattr(args, "backend", "auto")
    fmt: str = getattr(args, "format", "table")
    now: dt.datetime | None = getattr(args, "now", None)
    poll = PollPolicy(timeout=getattr(args, "timeout", PollPolicy.timeout))
    region: str | None = getattr(args, "region", None)
    show_sql: bool = getattr(args, "show_sql", False)
    out = sys.stdout
    try:
        environment = AwsEnvironment.resolve(region=region, local=getattr(args, "local", False))
        if args.command == "list":
            queries = load_named_queries(names=names)
            listing = QueryResult(
                columns=["name", "description"],
                rows=[(q.name, q.description) for q in queries],
                backend="files",
            )
            out.write(render(listing, fmt))
            return 0
        if args.command == "show":
            query = load_named_query(args.name, names=names)
            out.write(f"-- Athena SQL ({query.name})\n{query.sql}\n")
            if resolve_backend(backend, environment) == "local":
                duck_sql = to_duckdb_sql(query.sql, names=names, pretty=True)
                out.write(f"\n-- DuckDB SQL (local stand-in)\n{duck_sql}\n")
            return 0
        print(environment.describe(), file=sys.stderr)
        if args.command == "report":
            path = run_report(
                args, backend=backend, names=names, environment=environment, now=now, poll=poll
            )
            print(f"wrote {path}", file=out)
            return 0
        if args.command == "latest":
            result = latest_readings(
                args.device_id, limit=args.limit, names=names, environment=environment
            )
        else:
            if args.command == "named":
                sql = load_named_query(args.name, names=names).sql
            else:
                sql = sys.stdin.read() if args.sql == "-" else args.sql
            result = run_query(
                sql, backend=backend, names=names, environment=environment, now=now, poll=poll
            )
    except (QueryError, NamedQueryError, AwsTargetError, AssetsMissing) as error:
        print(f"wio-query: error: {error}", file=sys.stderr)
        return 1
    if show_sql and result.sql:
        print(f"-- SQL run by the {result.backend} backend:\n{result.sql}", file=sys.stderr)
    if result.notice:
        # Machine-readable formats keep stdout clean; the table shows the notice above it.
        print(result.notice, file=out if fmt == "table" else sys.stderr)
    if result.query_execution_id and fmt == "table":
        print(f"Athena query execution id: {result.query_execution_id}", file=out)
    out.write(render(result, fmt))
    return 0
