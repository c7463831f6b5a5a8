"""The command line: argparse, the cost guard for real AWS, SIGTERM handling, ``main``."""

from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path
from types import FrameType
from typing import Any

from wio_simulator.estimate import PRICES_READ, CostEstimate, estimate_cost
from wio_simulator.flow import (
    AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
    AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
)
from wio_simulator.readings import ReadingGenerator, payload_size
from wio_tools.bench.report import BenchReport
from wio_tools.bench.run import run_benchmark
from wio_tools.bench.target import BenchError, BenchTarget, Say, local_target
from wio_tools.deploy import DeployError
from wio_tools.provision import ProvisionError

# 1,000 devices x 1 msg/s exceeds what MiniStack (one Python process, about one core)
# sustains with the two validating rules on a 2-core machine; 300 holds (LOAD_TESTING.md).
DEFAULT_DEVICES = 300
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
    p.add_argument("--devices", type=int, default=DEFAULT_DEVICES)
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
    run_kwargs: dict[str, Any] = dict(
        devices=args.devices,
        interval=args.interval,
        duration=args.duration,
        fleet_prefix=args.fleet_prefix,
        max_connect_rate=args.connect_rate,
        max_publish_rate=args.max_publish_rate,
        count_method=args.count_method,
        store_timeout=args.store_timeout,
        say=say,
    )
    old = signal.signal(signal.SIGTERM, _sigterm)
    report: BenchReport | None = None
    try:
        if args.aws:
            target = BenchTarget.real_aws(args.prefix, args.region)
            report, _ = run_benchmark(target, **run_kwargs)
        else:
            with local_target(args.prefix, args.keep, say) as target:
                # The emulator and its data go at the end anyway (or stay with --keep).
                report, _ = run_benchmark(target, delete_fleet_after=False, **run_kwargs)
    except (KeyboardInterrupt, _Terminated):
        say("interrupted: everything started was stopped")
        return 130
    except (BenchError, ProvisionError, DeployError) as exc:
        say(f"error: {exc}")
        return 2
    finally:
        signal.signal(signal.SIGTERM, old)
    say("")
    for line in report.summary_lines():
        say(line)
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), indent=1) + "\n", encoding="utf-8")
        say(f"report written to {args.json}")
    print(report.last_line(), flush=True)
    return 0 if report.ok else 1
