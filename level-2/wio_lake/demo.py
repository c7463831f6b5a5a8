"""`make -C level-2 demo`: level 1 + level 2 on local AWS, then everything stops.

1. start local AWS (MiniStack) and deploy level 1 with the real cdk CLI;
2. provision simulated devices; give level 1 a few days of history (written into its table as
   its rule would have), as if it had been running before level 2 came;
3. deploy level 2 (cdk), backfill the history into the lake;
4. the devices publish live readings over MQTT/mTLS; one develops a fault (it overheats) and
   listens on its alerts topic;
5. the anomaly detector runs (its schedule would run it every 5 minutes; the demo invokes it
   now) and the faulty device prints the alert it receives;
6. Athena queries over the lake; the forecast;
7. a wio-query report of the last day (charts, the forecast dashed, the alerts); stop.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from analytics_infra.queries import load_queries
from wio_contract.names import ResourceNames
from wio_lake import deploy
from wio_lake.athena import QueryResult, run_query
from wio_lake.backfill import backfill, stream_start_ms
from wio_lake.history import history_items, put_items, reading
from wio_lake.lake import Lake
from wio_lake.mqtt import DeviceClient
from wio_tools import deploy as level1_deploy
from wio_tools.environment import AwsEnvironment
from wio_tools.local_aws import LocalAws, LocalAwsError
from wio_tools.provision import DeviceCredentials, ProvisionError, provision_thing
from wio_tools.query.report import ReportRange, build_report, write_report

PREFIX = "attempt"
HISTORY_DAYS = 4
HISTORY_STEP = 600
LIVE_READINGS = 4
FAULT_TEMPERATURE = 78.5
STEPS = 8
DEMO_REPORT = Path(__file__).resolve().parents[2] / "level-1" / ".local" / "wio-level2-report.html"
"""Where the demo's report goes (level 1's git-ignored state folder)."""


def step(n: int, text: str) -> None:
    print(f"\n[{n}/{STEPS}] {text}", flush=True)


def show(result: QueryResult, limit: int = 20) -> None:
    widths = [len(c) for c in result.columns]
    rows = result.rows[:limit]
    for row in rows:
        widths = [max(w, len(v or "")) for w, v in zip(widths, row)]
    print("      " + "  ".join(c.ljust(w) for c, w in zip(result.columns, widths)))
    for row in rows:
        print("      " + "  ".join((v or "").ljust(w) for v, w in zip(row, widths)))
    more = f", first {limit} shown" if len(result.rows) > limit else ""
    print(f"      ({len(result.rows)} rows{more}; {result.seconds:.2f} s)")


def invoke(local: LocalAws, function: str, event: dict[str, Any]) -> dict[str, Any]:
    response = local.client("lambda").invoke(
        FunctionName=function, Payload=json.dumps(event).encode()
    )
    body: dict[str, Any] = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise RuntimeError(f"{function} failed: {body}")
    return body


def live(devices: list[DeviceCredentials], faulty: DeviceCredentials) -> DeviceClient:
    """Publish live readings; the faulty device's connection stays open on its alerts topic.

    One connection per device: the client id is the thing name, and a second connection with
    the same id would take the first one over.
    """
    clients = {d.thing_name: DeviceClient.for_credentials(d).__enter__() for d in devices}
    clients[faulty.thing_name].subscribe(ResourceNames.alerts_topic(faulty.thing_name))
    try:
        for i in range(LIVE_READINGS):
            now = int(time.time())
            for creds in devices:
                doc = reading(creds.thing_name, now)
                if creds is faulty and i >= 1:
                    doc["temperature"] = FAULT_TEMPERATURE + i
                clients[creds.thing_name].publish_json(creds.topic, doc)
                print(f"      {creds.thing_name}: temperature {doc['temperature']}")
            time.sleep(1.0)
    finally:
        for name, client in clients.items():
            if name != faulty.thing_name:
                client.close()
    return clients[faulty.thing_name]


def run(devices: int) -> None:
    names = ResourceNames(PREFIX)
    with tempfile.TemporaryDirectory(prefix="wio-l2-demo-") as tmp:
        step(1, "Starting local AWS and deploying level 1 (cdk) …")
        with LocalAws.start(Path(tmp) / "state.json") as local:
            env = local.env()
            level1_deploy.deploy_local(env, prefix=PREFIX)
            aws = AwsEnvironment.resolve(endpoint_url=local.endpoint_url, region=local.region)
            print(f"      {aws.describe()}; MQTT/mTLS 127.0.0.1:{local.mqtt_port}")

            step(2, f"Provisioning {devices} devices and {HISTORY_DAYS} days of level-1 history …")
            target = AwsEnvironment.for_local(local)
            creds = [
                provision_thing(f"demo-l2-{i:04d}", target=target, prefix=PREFIX,
                                certs_dir=Path(tmp) / "certs")  # fmt: skip
                for i in range(1, devices + 1)
            ]
            now = int(time.time())
            for c in creds:
                items = history_items(c.thing_name, now=now, days=HISTORY_DAYS, step=HISTORY_STEP)
                put_items(local.client("dynamodb"), names.table, items)
                print(f"      {c.thing_name}: {len(items)} readings in {names.table}")

            step(3, "Deploying level 2 (cdk) and backfilling the history into the lake …")
            started = time.monotonic()
            outputs = deploy.deploy(env, context={**deploy.LOCAL_CONTEXT, "prefix": PREFIX})
            print(f"      deployed {names.analytics_stack} in {time.monotonic() - started:.0f} s")
            lake = Lake.of(aws, PREFIX)
            report = backfill(aws, lake, before_ms=stream_start_ms(aws, lake))
            print(f"      backfill: {report.rows} rows in {len(report.objects)} Parquet objects")
            baseline = invoke(local, outputs["BaselineFunctionName"], {})
            print(f"      baselines built for {baseline['devices']} devices")

            faulty = creds[-1]
            step(4, f"Live readings over MQTT/mTLS; {faulty.thing_name} overheats …")
            listener = live(creds, faulty)

            step(5, "Anomaly detector (scheduled every 5 minutes; invoked now) …")
            time.sleep(1.0)
            result = invoke(local, outputs["DetectorFunctionName"], {})
            print(f"      devices {result['devices']}, new readings {result['readings']}, "
                  f"alerts {result['alerts']}")  # fmt: skip
            message = listener.next_message(timeout=10)
            listener.close()
            if message is None:
                raise RuntimeError("the faulty device received no alert")
            topic, payload, retained = message
            print(f"      {faulty.thing_name} received on {topic} (retained={retained}):")
            print(f"        {payload.decode()}")

            step(6, "Athena over the lake (the same SQL runs on AWS) …")
            athena = aws.client("athena")
            queries = load_queries()
            hourly = queries["hourly-averages-one-device"].render(
                database=lake.database, table=lake.table, device_id=faulty.thing_name
            )
            print(f"\n      hourly-averages-one-device ({faulty.thing_name}, last 24 h)")
            show(run_query(athena, hourly, database=lake.database, workgroup=lake.workgroup), 6)
            daily = queries["daily-stats-all-devices"].render(
                database=lake.database, table=lake.table
            )
            print("\n      daily-stats-all-devices (last 30 days)")
            show(run_query(athena, daily, database=lake.database, workgroup=lake.workgroup))

            step(7, "Forecast of the next 6 hours …")
            fc = invoke(local, outputs["ForecastFunctionName"], {})
            print(f"      hours written per device: {fc['hours_written']}")
            rows = local.client("dynamodb").query(
                TableName=names.forecast_table, KeyConditionExpression="device_id = :d",
                ExpressionAttributeValues={":d": {"S": creds[0].thing_name}},
            )["Items"]  # fmt: skip
            for row in rows:
                hour = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(row["ts"]["N"])))
                temp = row.get("temperature", {}).get("N", "-")
                mase = row.get("temperature_mase", {}).get("N", "-")
                print(f"      {creds[0].thing_name} {hour}: temperature {temp} (MASE {mase})")

            step(8, "A report of the last day (wio-query report) …")
            print(f"      {write_demo_report(local, names)}  (open it in a browser)")
            print("\n      stopping local AWS …")
        print("      stopped. Demo finished.")


def write_demo_report(local: LocalAws, names: ResourceNames) -> Path:
    """Level 1's report over its table (DuckDB); it finds level 2's alerts and forecast."""
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    window = ReportRange(since=until - dt.timedelta(days=1), until=until)
    page, _ = build_report(names, window, backend="local", dynamodb_client=local.client("dynamodb"))
    if 'id="level2"' in page:  # the report's "level 2 is not deployed" note
        raise RuntimeError("the report did not find level 2's tables")
    return write_report(DEMO_REPORT, page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wio-lake-demo", description=__doc__)
    parser.add_argument("--devices", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        run(max(2, args.devices))
    except (LocalAwsError, deploy.DeployError, ProvisionError, RuntimeError) as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
