"""Lake benchmark: ``cd level-2 && uv run python -m wio_lake.bench`` (not a timed test).

On local AWS (MiniStack, started and stopped here, level 1 + level 2 deployed by cdk):

1. lake delay: an item written into the level-1 table until Athena returns it (median of 3);
2. a generated year for ``--devices`` devices, one reading every ``--step`` seconds, written as
   Parquet straight into the lake bucket in the lake's layout (``readings/dt=YYYY-MM-DD/``);
3. the two saved queries through Athena: rows, time (median of 3), and bytes scanned, computed
   from the Parquet objects under the partitions each query touches (MiniStack's
   ``DataScannedInBytes`` is not a real figure);
4. the connector path for comparison, estimated: it cannot run locally, so its scanned bytes are
   the DynamoDB items it reads (item size x items).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from analytics_infra.queries import load_queries
from wio_contract.names import ResourceNames
from wio_lake import deploy
from wio_lake.athena import run_query
from wio_lake.lake import Lake
from wio_lake_functions.records import lake_fields
from wio_tools.environment import AwsEnvironment
from wio_tools.local_aws import LocalAws

PREFIX = "attempt"
DAY = 86400
#: A level-1 item as the rule stores it (values typical of a Wio Terminal).
SAMPLE_PAYLOAD = (
    '{"device_id":"bench-0001","timestamp":1767225600,"temperature":23.4,"humidity":51.2,'
    '"light":312,"rssi":-61,"seq":52560}'
)


def dynamodb_item_bytes(device: str = "bench-0001") -> int:
    """DynamoDB's item size: attribute names (UTF-8) + values (numbers ~1 B per 2 digits + 1)."""
    import base64

    numbers = {
        "timestamp": "1767225600", "temperature": "23.4", "humidity": "51.2", "light": "312",
        "rssi": "-61", "seq": "52560", "received_at": "1767225600150",
    }  # fmt: skip
    size = len("device_id") + len(device)
    for name, text in numbers.items():
        digits = len(text.replace("-", "").replace(".", "").lstrip("0")) or 1
        size += len(name) + (digits + 1) // 2 + 1
    raw = base64.b64encode(SAMPLE_PAYLOAD.encode()).decode()
    return size + len("raw_payload") + len(raw)


def generate(out_dir: Path, *, devices: int, days: int, step: int, end: int) -> int:
    """Parquet files, one per UTC day, in ``out_dir/dt=YYYY-MM-DD/``; returns the row count."""
    start = end - days * DAY
    expressions = {
        "device_id": "'bench-' || lpad(CAST(d AS VARCHAR), 4, '0')",
        "timestamp": "CAST(ts AS BIGINT)",
        "temperature": "round(22 + 3 * sin(2 * pi() * (ts % 86400) / 86400.0) + d * 0.01"
        " + ((ts * 7 + d) % 13) * 0.02, 1)",
        "humidity": "round(50 + ((ts + d) % 17) * 0.3, 1)",
        "light": "CAST(300 + (ts + d) % 11 AS BIGINT)",
        "rssi": "CAST(-60 - d % 20 AS BIGINT)",
        "seq": f"CAST((ts - {start}) // {step} AS BIGINT)",
        "received_at": "CAST(ts * 1000 + 150 AS BIGINT)",
        "expires_at": "CAST(NULL AS BIGINT)",
    }
    columns = ", ".join(f'{expressions[f.name]} AS "{f.name}"' for f in lake_fields())
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT {columns}, strftime(make_timestamp(ts * 1000000), '%Y-%m-%d') AS dt "
            f"FROM range(0, {devices}) t(d), range({start}, {end}, {step}) s(ts) "
            f"ORDER BY dt, device_id, \"timestamp\") TO '{out_dir}' "
            "(FORMAT PARQUET, PARTITION_BY (dt), COMPRESSION SNAPPY)"
        )
        count = con.execute(f"SELECT count(*) FROM read_parquet('{out_dir}/*/*.parquet')")
        row = count.fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def upload(aws: AwsEnvironment, lake: Lake, out_dir: Path) -> dict[str, int]:
    """Upload every day file; returns bytes per day."""
    s3 = aws.client("s3")
    sizes: dict[str, int] = {}
    for path in sorted(out_dir.glob("dt=*/*.parquet")):
        day = path.parent.name.removeprefix("dt=")
        s3.put_object(
            Bucket=lake.bucket, Key=f"{lake.partition_prefix(day)}bench-{path.name}",
            Body=path.read_bytes(),
        )  # fmt: skip
        sizes[day] = sizes.get(day, 0) + path.stat().st_size
    return sizes


def lake_delay(aws: AwsEnvironment, lake: Lake, table: str, tries: int = 3) -> list[float]:
    ddb = aws.client("dynamodb")
    athena = aws.client("athena")
    delays = []
    for i in range(tries):
        now = int(time.time())
        device = f"delay-probe-{i}"
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        started = time.monotonic()
        ddb.put_item(TableName=table, Item={
            "device_id": {"S": device}, "timestamp": {"N": str(now)},
            "temperature": {"N": "21.0"}, "received_at": {"N": str(now * 1000)},
        })  # fmt: skip
        sql = f"SELECT count(*) AS n FROM readings WHERE dt = '{day}' AND device_id = '{device}'"
        while time.monotonic() - started < 120:
            result = run_query(athena, sql, database=lake.database, workgroup=lake.workgroup)
            if result.rows and result.rows[0][0] not in (None, "0"):
                break
            time.sleep(0.2)
        delays.append(time.monotonic() - started)
    return delays


@dataclass
class QueryFigure:
    name: str
    rows: int
    seconds: float
    partitions: int
    lake_bytes: int
    connector_items: int
    connector_bytes: int


def bench_queries(
    aws: AwsEnvironment, lake: Lake, sizes: dict[str, int], *, devices: int, step: int,
    item_bytes: int, total_items: int,
) -> list[QueryFigure]:  # fmt: skip
    athena = aws.client("athena")
    queries = load_queries()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - DAY))
    last_30 = {time.strftime("%Y-%m-%d", time.gmtime(time.time() - i * DAY)) for i in range(30)}
    plans = {
        # one device, 24 h: two partitions; the connector can Query the device's key range
        "hourly-averages-one-device": ({today, yesterday}, DAY // step),
        # every device, 30 days: 30 partitions; the connector scans the whole table
        "daily-stats-all-devices": (last_30, total_items),
    }
    figures = []
    for name, (days, items) in plans.items():
        sql = queries[name].render(database=lake.database, table=lake.table, device_id="bench-0001")
        times, rows = [], 0
        for _ in range(3):
            result = run_query(athena, sql, database=lake.database, workgroup=lake.workgroup,
                               timeout=600)  # fmt: skip
            times.append(result.seconds)
            rows = len(result.rows)
        touched = [d for d in days if d in sizes]
        figures.append(
            QueryFigure(name, rows, statistics.median(times), len(touched),
                        sum(sizes[d] for d in touched), items, items * item_bytes)  # fmt: skip
        )
    return figures


def _mb(n: float) -> str:
    return f"{n / 1e6:,.2f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wio-lake-bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--step", type=int, default=600, help="seconds between readings")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    names = ResourceNames(PREFIX)
    with tempfile.TemporaryDirectory(prefix="wio-l2-bench-") as tmp:
        print("starting local AWS and deploying level 1 + level 2 (cdk) …", flush=True)
        with LocalAws.start(Path(tmp) / "state.json") as local:
            deploy.deploy_local(local.env(), prefix=PREFIX)
            aws = AwsEnvironment.resolve(endpoint_url=local.endpoint_url, region=local.region)
            lake = Lake.of(aws, PREFIX)
            delays = lake_delay(aws, lake, names.table)
            print(f"lake delay (DynamoDB write -> Athena row), local: "
                  f"{', '.join(f'{d:.1f}' for d in delays)} s", flush=True)  # fmt: skip
            started = time.monotonic()
            end = int(time.time()) // args.step * args.step
            out = Path(tmp) / "parquet"
            rows = generate(out, devices=args.devices, days=args.days, step=args.step, end=end)
            sizes = upload(aws, lake, out)
            total = sum(sizes.values())
            print(f"generated {rows:,} rows in {len(sizes)} day objects, {_mb(total)} "
                  f"({total / rows:.2f} bytes per reading) in {time.monotonic() - started:.0f} s",
                  flush=True)  # fmt: skip
            item_bytes = dynamodb_item_bytes()
            figures = bench_queries(aws, lake, sizes, devices=args.devices, step=args.step,
                                    item_bytes=item_bytes, total_items=rows)  # fmt: skip
    print(f"\nDynamoDB item size (estimate): {item_bytes} B; table {_mb(item_bytes * rows)}")
    header = f"{'query':<28} {'rows':>6} {'time (s)':>9} {'parts':>6} {'lake scanned':>14} " \
             f"{'connector reads (est.)':>26}"  # fmt: skip
    print(header)
    for f in figures:
        print(
            f"{f.name:<28} {f.rows:>6} {f.seconds:>9.2f} {f.partitions:>6} "
            f"{_mb(f.lake_bytes):>14} {_mb(f.connector_bytes):>14} ({f.connector_items:,} items)"
        )
    summary: dict[str, Any] = {
        "devices": args.devices, "days": args.days, "step_s": args.step, "rows": rows,
        "lake_bytes": total, "parquet_bytes_per_reading": total / rows,
        "dynamodb_item_bytes_estimate": item_bytes, "lake_delay_s": delays,
        "queries": [f.__dict__ for f in figures],
    }  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
