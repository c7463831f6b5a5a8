"""``python -m wio_tools.simbench`` (``make -C level-1 bench-sim DEVICES=N DURATION=S``).

The ``wio-sim`` engine against a local mosquitto set up like AWS IoT Core (mutual TLS, one
certificate per device, the certificate's name as the user, a per-device ACL). The last line
has the MiniStack bench's fields plus ``sim_cpu_ms_per_msg``; the exit code is 0 only when the
run held (achieved ≥ 0.99 × target, lost = duplicates = refused = 0, ack p95 < 500 ms), and
the line before the last says why not.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from types import FrameType

from wio_simulator.config import MQTT_V5, MQTT_V311
from wio_tools.simbench.broker import BrokerError
from wio_simulator.fleetflags import add_fleet_flags, fleet_overrides
from wio_tools.simbench.run import DEFAULT_CONNECT_RATE, run_sim_bench


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so every ``finally`` cleans up."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m wio_tools.simbench",
        description="Simulator capacity against a local mutual-TLS mosquitto broker.",
    )
    p.add_argument("--devices", type=int, default=1000)
    p.add_argument("--duration", type=float, default=60.0, help="s of publishing")
    p.add_argument("--interval", type=float, default=1.0, help="s between readings")
    p.add_argument("--workers", type=int, default=None, help="processes (default: auto)")
    p.add_argument(
        "--connect-rate", type=float, default=DEFAULT_CONNECT_RATE,
        help=f"fleet-wide connects/s (default {DEFAULT_CONNECT_RATE:g})",
    )  # fmt: skip
    p.add_argument("--mqtt5", action="store_true", help="MQTT 5 (refusals in the PUBACK)")
    p.add_argument("--counter-clients", type=int, default=None)
    p.add_argument("--json", type=Path, default=None, help="write the report here")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    add_fleet_flags(p, alerts_default=False)
    return p


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.devices < 1 or args.duration <= 0 or args.interval <= 0:
        say("error: --devices, --duration and --interval must be positive")
        return 2
    old = signal.signal(signal.SIGTERM, _sigterm)
    try:
        report, _ = run_sim_bench(
            devices=args.devices, duration=args.duration, interval=args.interval,
            workers=args.workers, connect_rate=args.connect_rate,
            protocol=MQTT_V5 if args.mqtt5 else MQTT_V311, counter_clients=args.counter_clients,
            say=None if args.quiet else say, fleet=fleet_overrides(args),
        )  # fmt: skip
    except (KeyboardInterrupt, _Terminated):
        say("interrupted: everything started was stopped")
        return 130
    except BrokerError as exc:
        say(f"error: {exc}")
        return 2
    finally:
        signal.signal(signal.SIGTERM, old)
    for line in report.summary_lines():
        print(line, flush=True)
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), indent=1) + "\n", encoding="utf-8")
    if not report.held:
        print(f"bench-sim: {report.reason}", flush=True)
    print(report.last_line(), flush=True)
    return 0 if report.held else 1
