"""`make -C level-1 demo` and `make -C level-1 up`: the whole pipeline on local AWS.

demo: start MiniStack → cdk bootstrap + deploy → provision simulated devices →
publish over MQTT/mTLS → read back through the query tool → stop everything.
up:   the same first three steps, then leave it running and print the env vars.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from wio_contract.names import ResourceNames
from wio_tools import deploy
from wio_tools.environment import AwsEnvironment
from wio_tools.local_aws import LocalAws, LocalAwsError, _format_env, default_state_file
from wio_tools.provision import (
    DEFAULT_CERTS_DIR,
    DeviceCredentials,
    ProvisionError,
    provision_fleet,
)
from wio_tools.query import QueryError, render, run_named
from wio_tools.query.report import ReportRange, build_report, write_report
from wio_simulator.engine import FleetConfig, fleet_from_certs, run_fleet

DEMO_DEVICES = 3
DEMO_SECONDS = 6.0
DEMO_REPORT = Path(__file__).resolve().parents[2] / ".local" / "wio-demo-report.html"
#: What ``up`` prints last; README.md and README.en.md quote these lines (a unit test checks).
TRY_LINES = (
    "Try:  cd level-1/infra",
    "      uv run wio-sim --local --thing wio-local-0001 --count 5",
    "      uv run wio-query named latest-readings-per-device --local",
    "      uv run wio-doctor",
    "Stop: make -C level-1 down   (without make: uv run wio-local-aws stop)",
)


def step(n: int, total: int, text: str) -> None:
    print(f"\n[{n}/{total}] {text}", flush=True)


def _target_for(local: LocalAws) -> AwsEnvironment:
    return AwsEnvironment.for_local(local)


def _deploy(local: LocalAws, prefix: str) -> dict[str, str]:
    t0 = time.monotonic()
    outputs = deploy.deploy_local(local.env(), prefix=prefix)
    print(f"      deployed {ResourceNames(prefix).stack} in {time.monotonic() - t0:.0f}s")
    for key in sorted(outputs):
        print(f"      {key} = {outputs[key]}")
    return outputs


def _provision(
    local: LocalAws, prefix: str, certs_dir: Path, count: int, fleet_prefix: str
) -> list[DeviceCredentials]:
    creds = provision_fleet(
        count,
        fleet_prefix=fleet_prefix,
        target=_target_for(local),
        prefix=prefix,
        certs_dir=certs_dir,
    )
    for c in creds:
        print(f"      {c.thing_name}: certificate {c.certificate_id[:12]}…, topic {c.topic}")
    return creds


def _simulate(certs_dir: Path, things: list[str], seconds: float) -> None:
    specs, conn = fleet_from_certs(certs_dir, things)
    config = FleetConfig(
        host=conn["host"],
        port=conn["port"],
        devices=specs,
        ca_file=conn["ca_file"],
        interval=1.0,
        duration=seconds,
        insecure_hostname=conn["insecure_hostname"],
        progress=lambda line: print(f"      {line}", flush=True),
        progress_interval=2.0,
    )
    result = run_fleet(config)
    for line in result.summary_lines():
        print(f"      {line}")
    if not result.ok:
        raise RuntimeError("the simulator did not get every message acknowledged")


def _show(local: LocalAws, prefix: str, query: str) -> None:
    result = run_named(
        query,
        backend="local",
        names=ResourceNames(prefix),
        dynamodb_client=local.client("dynamodb"),
    )
    if result.notice:
        print(f"      ({result.notice})")
    print(render(result, "table"))


def _report(local: LocalAws, prefix: str) -> Path:
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    window = ReportRange(since=until - dt.timedelta(hours=1), until=until)
    page, _ = build_report(
        ResourceNames(prefix), window, backend="local", dynamodb_client=local.client("dynamodb")
    )
    return write_report(DEMO_REPORT, page)


def run_demo(prefix: str, devices: int, seconds: float) -> None:
    total = 6
    with tempfile.TemporaryDirectory(prefix="wio-demo-") as tmp:
        tmpdir = Path(tmp)
        step(1, total, "Starting local AWS (MiniStack) on 127.0.0.1 …")
        with LocalAws.start(tmpdir / "state.json") as local:
            print(f"      API {local.endpoint_url}, MQTT/mTLS 127.0.0.1:{local.mqtt_port}")
            step(2, total, "cdk bootstrap + cdk deploy -c local=true (the real CDK CLI) …")
            _deploy(local, prefix)
            step(3, total, f"Provisioning {devices} simulated devices (thing + certificate) …")
            certs = tmpdir / "certs"
            creds = _provision(local, prefix, certs, devices, "demo")
            step(4, total, f"Publishing readings over MQTT with mutual TLS for {seconds:.0f}s …")
            _simulate(certs, [c.thing_name for c in creds], seconds)
            step(5, total, "Querying the table with the project's Athena SQL …")
            print("\n      latest-readings-per-device")
            _show(local, prefix, "latest-readings-per-device")
            print("\n      hourly-averages-per-device")
            _show(local, prefix, "hourly-averages-per-device")
            report = _report(local, prefix)
            step(6, total, "Stopping local AWS …")
        print("      stopped. Demo finished: readings travelled device → MQTT → rule → DynamoDB.")
        print(f"      Report (wio-query report, one HTML file): {report}")


def run_up(prefix: str) -> None:
    total = 3
    state_file = default_state_file()
    step(1, total, "Starting local AWS (MiniStack) on 127.0.0.1 …")
    local = LocalAws.start(state_file, reuse=True)
    print(f"      pid {local.pid}, API {local.endpoint_url}, MQTT 127.0.0.1:{local.mqtt_port}")
    try:
        step(2, total, "cdk bootstrap + cdk deploy -c local=true …")
        _deploy(local, prefix)
        step(3, total, "Provisioning the device wio-local-0001 …")
        _provision(local, prefix, DEFAULT_CERTS_DIR, 1, "wio-local")
    except BaseException:
        local.stop()
        raise
    print("\nLocal stack is up. Point the AWS CLI, boto3, wio-sim and wio-query at it with:\n")
    print(_format_env(local.env(), "sh"))
    print('\n(or: eval "$(cd level-1/infra && uv run wio-local-aws env)")')
    print("(PowerShell: uv run wio-local-aws env --shell powershell | Invoke-Expression)")
    for line in TRY_LINES:
        print(line)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also read by the README command checks)."""
    parser = argparse.ArgumentParser(prog="python -m wio_tools.demo", description=__doc__)
    parser.add_argument("--up", action="store_true", help="leave the local stack running")
    parser.add_argument("--prefix", default="attempt")
    parser.add_argument("--devices", type=int, default=DEMO_DEVICES)
    parser.add_argument("--seconds", type=float, default=DEMO_SECONDS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.up:
            run_up(args.prefix)
        else:
            run_demo(args.prefix, args.devices, args.seconds)
    except (LocalAwsError, deploy.DeployError, ProvisionError, QueryError, RuntimeError) as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
