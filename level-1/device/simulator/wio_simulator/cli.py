"""``wio-sim``: simulate one Wio Terminal or a fleet, publishing readings over MQTT/mTLS.

Examples::

    # one provisioned thing (reads level-1/device/certs/wio-terminal-01/thing.json)
    wio-sim --thing wio-terminal-01 --interval 5 --duration 60

    # a provisioned fleet (wio-provision --fleet 200 --fleet-prefix sim)
    wio-sim --fleet-prefix sim --devices 200 --interval 1 --duration 10

    # explicit connection (real AWS IoT Core)
    wio-sim --endpoint xxxx-ats.iot.ap-northeast-1.amazonaws.com --port 8883 \\
        --ca AmazonRootCA1.pem --cert certificate.pem.crt --key private.pem.key \\
        --device-id wio-terminal-01 --count 10

    # what would a run cost on AWS?
    wio-sim --fleet-prefix sim --devices 1000 --interval 1 --duration 3600 --estimate

``--local`` takes the broker address and CA from the local AWS that ``wio-local-aws start``
recorded. Before a run against anything that is not this machine, wio-sim prints the expected
message count and an estimated cost, and refuses runs estimated above ``--max-cost``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .engine import DeviceSpec, FleetConfig, fleet_from_certs, is_loopback, run_fleet
from .estimate import estimate_cost
from .fleetflags import add_fleet_flags, fleet_overrides
from .flow import (
    AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
    AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
)
from .readings import ALL_SENSORS, ReadingGenerator, payload_size

LEVEL1_DIR = Path(__file__).resolve().parents[3]
DEFAULT_CERTS_DIR = LEVEL1_DIR / "device" / "certs"
DEFAULT_STATE_FILE = LEVEL1_DIR / ".local" / "state.json"
DEFAULT_MAX_COST_USD = 1.0


class CliError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wio-sim",
        description="Simulate Wio Terminal devices publishing sensor readings to AWS IoT Core "
        "(or local AWS) over MQTT with mutual TLS, QoS 1.",
    )
    src = p.add_argument_group("devices and credentials")
    src.add_argument("--thing", help="a provisioned thing (certs/<thing>/thing.json)")
    src.add_argument(
        "--fleet-prefix", help="a provisioned fleet: <prefix>-0001 … (needs --devices)"
    )
    src.add_argument("--devices", type=int, default=1, help="number of devices (default 1)")
    src.add_argument("--certs-dir", type=Path, default=DEFAULT_CERTS_DIR)
    src.add_argument("--endpoint", help="MQTT broker host (AWS: the ATS data endpoint)")
    src.add_argument("--port", type=int, default=None, help="MQTT port (default 8883)")
    src.add_argument("--ca", help="CA file that verifies the broker")
    src.add_argument("--cert", help="device certificate (shared by all devices if --devices N)")
    src.add_argument("--key", help="device private key")
    src.add_argument(
        "--device-id",
        default=None,
        help="client id / device_id (default: the thing, or sim)",
    )
    src.add_argument(
        "--local",
        action="store_true",
        help="broker address and CA from wio-local-aws's state",
    )
    src.add_argument(
        "--insecure-hostname",
        action="store_true",
        help="do not check the broker's host name (the chain is still verified); local only",
    )
    run = p.add_argument_group("what to send")
    run.add_argument("--interval", type=float, default=5.0, help="seconds between readings")
    run.add_argument("--count", type=int, default=None, help="readings per device")
    run.add_argument("--duration", type=float, default=None, help="seconds (default 30)")
    run.add_argument("--qos", type=int, choices=[0, 1], default=1)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument(
        "--start-time",
        type=int,
        default=None,
        help="virtual clock: first timestamp (epoch s); later ones step by the interval",
    )
    run.add_argument(
        "--sensors",
        default=",".join(ALL_SENSORS),
        help=f"comma list of sensors to include (default {','.join(ALL_SENSORS)})",
    )
    lim = p.add_argument_group("limits")
    lim.add_argument(
        "--max-publish-rate",
        type=float,
        default=AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
        help="publishes/s per connection (AWS quota 100)",
    )
    lim.add_argument(
        "--max-connect-rate",
        type=float,
        default=AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
        help="connects/s for the whole fleet (AWS account quota 100–500 by region)",
    )
    lim.add_argument("--max-inflight", type=int, default=20, help="unacked QoS1 per client")
    lim.add_argument("--stagger", type=float, default=None, help="spread starts (s)")
    lim.add_argument("--drain-timeout", type=float, default=60.0)
    out = p.add_argument_group("output")
    out.add_argument("--estimate", action="store_true", help="print count and cost, then exit")
    out.add_argument("--max-cost", type=float, default=DEFAULT_MAX_COST_USD, help="USD guard")
    out.add_argument("--yes", action="store_true", help="run even above --max-cost")
    out.add_argument("--progress-interval", type=float, default=5.0)
    out.add_argument("--json", type=Path, default=None, help="write the result as JSON here")
    out.add_argument("--quiet", action="store_true")
    add_fleet_flags(p, alerts_default=None)
    return p


def _local_broker(state_file: Path) -> tuple[str, int, str]:
    env_file = os.environ.get("WIO_LOCAL_STATE")
    path = Path(env_file) if env_file else state_file
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return "127.0.0.1", int(state["mqtt_port"]), str(state["ca_path"])
    except (FileNotFoundError, KeyError, ValueError):
        pass
    if os.environ.get("WIO_MQTT_PORT") and os.environ.get("WIO_MQTT_CA"):
        return "127.0.0.1", int(os.environ["WIO_MQTT_PORT"]), os.environ["WIO_MQTT_CA"]
    raise CliError(
        f"--local: no local AWS state in {path}; start it with `make -C level-1 up` "
        "or `wio-local-aws start`"
    )


def config_from_args(args: argparse.Namespace) -> FleetConfig:
    """Turn parsed flags into a FleetConfig (no I/O beyond reading thing.json/state files)."""
    if args.devices < 1:
        raise CliError("--devices must be at least 1")
    if args.interval <= 0:
        raise CliError("--interval must be positive")
    if args.count is not None and args.duration is not None:
        raise CliError("give --count or --duration, not both")
    sensors = tuple(s.strip() for s in args.sensors.split(",") if s.strip())
    unknown = set(sensors) - set(ALL_SENSORS)
    if unknown:
        raise CliError(f"unknown sensors {sorted(unknown)}; known: {', '.join(ALL_SENSORS)}")
    conn: dict[str, Any] = {}
    specs: list[DeviceSpec]
    if args.thing and args.fleet_prefix:
        raise CliError("give --thing or --fleet-prefix, not both")
    if args.thing:
        if args.devices != 1:
            raise CliError("--thing is one device; for a fleet use --fleet-prefix with --devices")
        specs, conn = fleet_from_certs(args.certs_dir, [args.thing])
    elif args.fleet_prefix:
        width = max(4, len(str(args.devices)))
        names = [f"{args.fleet_prefix}-{i:0{width}d}" for i in range(1, args.devices + 1)]
        try:
            specs, conn = fleet_from_certs(args.certs_dir, names)
        except FileNotFoundError as e:
            raise CliError(
                f"{e}. Provision the fleet: wio-provision --fleet {args.devices} "
                f"--fleet-prefix {args.fleet_prefix}"
            ) from e
    else:
        if not (args.cert and args.key):
            raise CliError(
                "say which credentials to use: --thing NAME, --fleet-prefix P --devices N, "
                "or --cert/--key (with --endpoint/--ca or --local)"
            )
        base = args.device_id or "sim"
        if args.devices == 1:
            ids = [base]
        else:
            width = max(4, len(str(args.devices)))
            ids = [f"{base}-{i:0{width}d}" for i in range(1, args.devices + 1)]
        specs = [DeviceSpec(device_id=i, cert_file=args.cert, key_file=args.key) for i in ids]
    if args.device_id and (args.thing or args.fleet_prefix):
        if len(specs) != 1:
            raise CliError("--device-id only applies to a single device")
        specs[0].device_id = args.device_id
    if args.local:
        host, port, ca = _local_broker(DEFAULT_STATE_FILE)
        conn.update({"host": host, "port": port, "ca_file": ca})
    if args.endpoint:
        conn["host"] = args.endpoint
    if args.port:
        conn["port"] = args.port
    if args.ca:
        conn["ca_file"] = args.ca
    if "host" not in conn:
        raise CliError("no broker: give --endpoint (and --ca), --thing/--fleet-prefix, or --local")
    duration = args.duration if args.count is None and args.duration is not None else None
    if args.count is None and duration is None:
        duration = 30.0
    extra = fleet_overrides(args)
    extra.setdefault("subscribe_alerts", len(specs) == 1)
    extra.setdefault("stagger", args.stagger)
    return FleetConfig(
        host=conn["host"],
        port=int(conn.get("port") or 8883),
        ca_file=conn.get("ca_file"),
        devices=specs,
        interval=args.interval,
        count=args.count,
        duration=duration,
        qos=args.qos,
        seed=args.seed,
        insecure_hostname=bool(args.insecure_hostname or conn.get("insecure_hostname")),
        max_publish_rate=args.max_publish_rate,
        max_connect_rate=args.max_connect_rate,
        max_inflight=args.max_inflight,
        drain_timeout=args.drain_timeout,
        start_time=args.start_time,
        sensors=sensors,
        progress_interval=0 if args.quiet else args.progress_interval,
        alert_out=lambda line: print(line, flush=True),
        **extra,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        cfg = config_from_args(args)
    except (CliError, FileNotFoundError) as e:
        say(f"error: {e}")
        return 2
    sample = ReadingGenerator(cfg.devices[0].device_id, seed=cfg.seed, sensors=cfg.sensors)
    size = payload_size(sample.reading(1_800_000_000, 0))
    est = estimate_cost(
        len(cfg.devices),
        cfg.messages_per_device(),
        cfg.messages_per_device() * cfg.interval,
        size,
    )
    local = is_loopback(cfg.host)
    if args.estimate or not local:
        for line in est.lines():
            say(line)
        if not local:
            say(
                f"target: {cfg.host}:{cfg.port} (real AWS) — limits: "
                f"{cfg.max_publish_rate:g} publishes/s per connection, "
                f"{cfg.max_connect_rate:g} connects/s"
            )
    if args.estimate:
        return 0
    if not local and est.total_usd > args.max_cost and not args.yes:
        say(
            f"refusing: the estimate ${est.total_usd:.2f} is above --max-cost "
            f"${args.max_cost:.2f}; lower --devices/--count/--duration or pass --yes"
        )
        return 3
    if not args.quiet:
        cfg.progress = say
        say(
            f"simulating {len(cfg.devices)} device(s) → {cfg.host}:{cfg.port}, "
            f"{cfg.messages_per_device()} reading(s) each every {cfg.interval:g}s, QoS {cfg.qos}"
        )
    result = run_fleet(cfg)
    for line in result.summary_lines():
        print(line)
    if args.json:
        args.json.write_text(json.dumps(result.to_json(include_messages=True), indent=1))
    return 0 if result.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
