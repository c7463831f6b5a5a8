"""``wio-lake``: operator commands of the level-2 lake.

uv run wio-lake deploy [--local] [-c key=value ...]   # after level 1
uv run wio-lake destroy [--local]                      # before level 1
uv run wio-lake backfill [--before ISO8601|epoch-ms] [--local]
uv run wio-lake query hourly-averages-one-device --device wio-0001 [--local]
uv run wio-lake query daily-stats-all-devices
uv run wio-lake sql "SELECT count(*) FROM readings WHERE dt >= '2026-01-01'"
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from analytics_infra.queries import load_queries
from wio_lake import deploy
from wio_lake.athena import AthenaQueryError, QueryResult, run_query
from wio_lake.backfill import backfill, stream_start_ms
from wio_lake.lake import Lake
from wio_tools.environment import AwsEnvironment, AwsTargetError


def _parse_before(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def _print(result: QueryResult) -> None:
    widths = [len(c) for c in result.columns]
    for row in result.rows:
        widths = [max(w, len(v or "")) for w, v in zip(widths, row)]
    print("  ".join(c.ljust(w) for c, w in zip(result.columns, widths)))
    for row in result.rows:
        print("  ".join((v or "").ljust(w) for v, w in zip(row, widths)))
    print(f"({len(result.rows)} rows, {result.seconds:.2f} s)")


def _cdk(verb: str, aws: AwsEnvironment, prefix: str, pairs: list[str]) -> int:
    context = dict(deploy.LOCAL_CONTEXT) if aws.is_local else {}
    context["prefix"] = prefix
    for pair in pairs:
        key, _, value = pair.partition("=")
        context[key] = value
    env = aws.subprocess_env()
    if verb == "deploy":
        outputs = deploy.deploy(env, context=context, quiet=False)
        print(f"deployed {len(outputs)} outputs")
    else:
        deploy.destroy(env, context=context, quiet=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wio-lake", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prefix", default="attempt")
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--local", action="store_true", help="the running local AWS (`up`)")
    sub = parser.add_subparsers(dest="command", required=True)
    for verb in ("deploy", "destroy"):
        p_cdk = sub.add_parser(verb, help=f"cdk {verb} the analytics stack (level 2)")
        p_cdk.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    p_back = sub.add_parser("backfill", help="load the level-1 table into the lake")
    p_back.add_argument("--before", help="only items received before (default: stream start)")
    p_query = sub.add_parser("query", help="run a saved lake query")
    p_query.add_argument("name", choices=sorted(load_queries()))
    p_query.add_argument("--device")
    p_sql = sub.add_parser("sql", help="run any SQL against the lake database")
    p_sql.add_argument("sql")
    args = parser.parse_args(argv)
    try:
        aws = AwsEnvironment.resolve(
            region=args.region, endpoint_url=args.endpoint_url, local=args.local
        )
        print(aws.describe(), file=sys.stderr)
        if args.command in ("deploy", "destroy"):
            return _cdk(args.command, aws, args.prefix, args.context)
        lake = Lake.of(aws, args.prefix)
        if args.command == "backfill":
            before = _parse_before(args.before)
            if before is None:
                before = stream_start_ms(aws, lake)
            print(f"backfill: items received before {before} (epoch ms)", file=sys.stderr)
            report = backfill(aws, lake, before_ms=before)
            print(f"scanned {report.scanned} items, wrote {report.rows} rows in "
                  f"{len(report.objects)} objects, skipped {report.skipped_after_cutoff} newer "
                  f"than the cutoff and {report.invalid} invalid")  # fmt: skip
            return 0
        if args.command == "query":
            query = load_queries()[args.name]
            if query.has_device_parameter and not args.device:
                parser.error(f"{args.name} needs --device")
            sql = query.render(database=lake.database, table=lake.table, device_id=args.device)
        else:
            sql = args.sql
        athena = aws.client("athena")
        _print(run_query(athena, sql, database=lake.database, workgroup=lake.workgroup))
    except (AwsTargetError, AthenaQueryError, deploy.DeployError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
