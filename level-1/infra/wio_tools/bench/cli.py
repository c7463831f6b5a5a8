"""The command line: argparse, the cost guard for real AWS, SIGTERM handling, ``main``."""

from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path
from types import FrameType
from typing import Any

from wio_simulator.estimate import PRICES_READ, CostEstimate, estimate_cost
from wio_simulator.fleetflags import add_fleet_flags, fleet_overrides
from wio_simulator.flow import (
    AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
    AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
    aws_quota_problem,
)
from wio_simulator.readings import ReadingGenerator, payload_size
from wio_tools.bench.report import BenchReport
from wio_tools.bench.run import run_benchmark
from wio_tools.bench.target import BenchError, BenchTarget, Say, local_target
from wio_tools.deploy import DeployError
from wio_tools.environment import AwsTargetError
from wio_tools.provision import ProvisionError

# MiniStack is one Python process (about one core). With the stack's current rules it used
# ~10 ms of CPU per reading and topped out near 92 msg/s on a quiet 2-core machine
# (2026-12-02; the 2026-11-26 rules cost ~2.7 ms and held 300-400). 50 keeps about half of
# the ceiling in reserve for a busy machine (LOAD_TESTING.md, "The pipeline ceiling").
DEFAULT_DEVICES = 50
DEFAULT_INTERVAL = 1.0
DEFAULT_DURATION = 60.0
DEFAULT_MAX_COST_USD = 1.0


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so every ``finally`` cleans up."""


# --------------------------------------------------------------------------- cost guard
def cost_estimate(devices: int, interval: float, duration: float) -> CostEstimate:
    per_device = max(1, int(round(duration / interval)))
    size = payload_size(ReadingGenerator("bench-0001").reading(1_800_000_000, per_device))
    return estimate_cost(devices, per_device, duration, size)


def cost_guard(args: argparse.Namespace, say: Say) -> int | None:
    """Print count and cost; an exit code when the run must not go ahead, else None."""
    est = cost_estimate(args.devices, args.interval, args.duration)
    for line in est.lines():
        say(line)
    say(
        f"limits: ≤{args.max_publish_rate:g} publishes/s per connection, "
        f"≤{args.connect_rate:g} connects/s (AWS IoT Core quotas; prices read {PRICES_READ})"
    )
    if args.estimate:
        return 0
    if args.aws:
        problem = aws_quota_problem(args.connect_rate, args.max_publish_rate, 20)
        if problem:
            say(f"refusing: {problem}")
            return 3
    if est.total_usd > args.max_cost:
        say(
            f"refusing: the estimate ${est.total_usd:.2f} is above --max-cost "
            f"${args.max_cost:.2f}; lower --devices/--duration or raise --max-cost"
        )
        return 3
    if args.aws and not args.yes:
        say("refusing: a run against real AWS is billed; pass --yes to go ahead")
        return 3
    return None


# --------------------------------------------------------------------------- CLI
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m wio_tools.bench",
        description="Fleet benchmark: N simulated devices → MQTT/mTLS → IoT rule → DynamoDB; "
        "counts what was stored, lost and duplicated. Local AWS by default.",
    )
    p.add_argument("--devices", type=int, default=DEFAULT_DEVICES, help="fleet (first step)")
    p.add_argument(
        "--step", type=int, default=0,
        help="find the ceiling: after a run that held, run again with this many more devices "
        "(local only), until one does not hold or --max-devices",
    )  # fmt: skip
    p.add_argument("--max-devices", type=int, default=1000, help="last step at most")
    p.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, help="s per device")
    p.add_argument("--duration", type=float, default=DEFAULT_DURATION, help="s of publishing")
    p.add_argument("--prefix", default="attempt", help="resource-name prefix of the stack")
    p.add_argument("--fleet-prefix", default=None, help="thing names (default bench-<random>)")
    p.add_argument(
        "--keep",
        action="store_true",
        help="local: leave local AWS running (with the stack and the data) afterwards",
    )
    p.add_argument("--json", type=Path, default=None, help="write the full report here")
    p.add_argument(
        "--connect-rate",
        type=float,
        default=AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
        help="fleet-wide connects/s cap (default: the AWS-safe 100/s)",
    )
    p.add_argument(
        "--max-publish-rate",
        type=float,
        default=AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
        help="publishes/s per connection (AWS quota 100)",
    )
    p.add_argument("--count-method", choices=["scan", "query"], default=None)
    p.add_argument("--store-timeout", type=float, default=180.0)
    aws = p.add_argument_group("real AWS (billed)")
    aws.add_argument("--aws", action="store_true", help="benchmark the stack deployed in AWS")
    aws.add_argument("--region", default=None)
    aws.add_argument("--estimate", action="store_true", help="print count and cost, then exit")
    aws.add_argument("--max-cost", type=float, default=DEFAULT_MAX_COST_USD, help="USD cap")
    aws.add_argument("--yes", action="store_true", help="confirm a billed run on real AWS")
    add_fleet_flags(p, alerts_default=False)
    return p


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def say(msg: str) -> None:
        print(msg, flush=True)

    if args.devices < 1 or args.interval <= 0 or args.duration <= 0:
        say("error: --devices, --interval and --duration must be positive")
        return 2
    if args.aws or args.estimate:
        code = cost_guard(args, say)
        if code is not None:
            return code
    if args.step and args.aws:
        say("error: --step (finding the ceiling) is for local AWS only")
        return 2
    run_kwargs: dict[str, Any] = dict(
        interval=args.interval,
        duration=args.duration,
        fleet_prefix=args.fleet_prefix,
        max_connect_rate=args.connect_rate,
        max_publish_rate=args.max_publish_rate,
        count_method=args.count_method,
        store_timeout=args.store_timeout,
        say=say,
        fleet_overrides=fleet_overrides(args),
    )
    old = signal.signal(signal.SIGTERM, _sigterm)
    reports: list[BenchReport] = []
    try:
        if args.aws:
            target = BenchTarget.real_aws(args.prefix, args.region)
            reports.append(run_benchmark(target, devices=args.devices, **run_kwargs)[0])
        else:
            with local_target(args.prefix, args.keep, say) as target:
                # The emulator and its data go at the end anyway (or stay with --keep).
                for devices in steps(args.devices, args.step, args.max_devices):
                    if args.step:
                        say(f"==> step: {devices} devices")
                        run_kwargs["fleet_prefix"] = None  # a fresh fleet per step
                    report, _ = run_benchmark(
                        target, devices=devices, delete_fleet_after=False, **run_kwargs
                    )
                    reports.append(report)
                    if args.step:
                        say(f"step {devices}: {report.last_line()}")
                    if not report.held:
                        break
    except (KeyboardInterrupt, _Terminated):
        say("interrupted: everything started was stopped")
        return 130
    except (BenchError, ProvisionError, DeployError, AwsTargetError) as exc:
        say(f"error: {exc}")
        return 2
    finally:
        signal.signal(signal.SIGTERM, old)
    report = reports[-1]
    say("")
    for line in report.summary_lines():
        say(line)
    if args.json:
        data = report.to_json()
        if args.step:
            data["steps"] = [r.to_json() for r in reports]
        args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        say(f"report written to {args.json}")
    if args.step:
        say(ceiling_line(reports))
        held = [r for r in reports if r.held]
        if held:
            report = held[-1]  # the last line is the highest rate that held
    elif not report.held:
        say(f"bench: not held: {report.limit}")
    print(report.last_line(), flush=True)
    if args.step:
        return 0 if any(r.held for r in reports) else 1
    return 0 if report.ok and report.held else 1


def steps(first: int, step: int, most: int) -> list[int]:
    if step <= 0:
        return [first]
    return list(range(first, max(first, most) + 1, step))


def ceiling_line(reports: list[BenchReport]) -> str:
    held = [r for r in reports if r.held]
    best = (
        f"highest rate held: {held[-1].achieved_rate:.1f} msg/s ({held[-1].devices} devices)"
        if held
        else "no step held"
    )
    stopped = next((r for r in reports if not r.held), None)
    why = (
        f"stopped at {stopped.devices} devices ({stopped.achieved_rate:.1f}/"
        f"{stopped.target_rate:.0f} msg/s): {stopped.limit}"
        if stopped
        else "every step held (raise --max-devices)"
    )
    return f"ceiling: {best}; {why}"
