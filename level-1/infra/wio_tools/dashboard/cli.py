"""``wio-dashboard``: serve the dashboard on 127.0.0.1 (only ``--host`` changes that)."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any, Sequence

from wio_contract.names import DEFAULT_PREFIX, ResourceNames
from wio_tools.dashboard.app import Settings, create_app
from wio_tools.dashboard.assets import AssetsMissing
from wio_tools.dashboard.fleet import Fleet
from wio_tools.dashboard.readings import TableMissing, check_table
from wio_tools.environment import AwsEnvironment, AwsTargetError

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wio-dashboard",
        description="A local web dashboard of the Wio Terminal readings (DynamoDB Query only).",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: %(default)s")
    parser.add_argument("--local", action="store_true", help="use the local AWS of `make up`")
    parser.add_argument("--region", help="AWS region (default: the usual AWS chain)")
    parser.add_argument("--endpoint-url", help="a custom AWS endpoint (default: AWS_ENDPOINT_URL)")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="default: %(default)s")
    parser.add_argument(
        "--host",
        default=None,
        help=f"bind address (default: {LOOPBACK}); anything but loopback exposes the data "
        "to your network without a login",
    )
    return parser


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_address(host: str | None) -> tuple[str, bool]:
    """``(host, public)``: 127.0.0.1 unless ``--host`` names another address (then a warning)."""
    if host is None:
        return LOOPBACK, False
    if is_loopback(host):
        return host, False
    print(
        f"WARNING: --host {host}: the dashboard will be reachable from other machines, with no "
        "login, and shows your sensor data. Use it only on a network you trust.",
        file=sys.stderr,
    )
    return host, True


def build_settings(
    environment: AwsEnvironment,
    names: ResourceNames,
    *,
    bind: str,
    public: bool,
    **fleet_options: Any,
) -> Settings:
    """The app's settings for ``environment``; ``fleet_options`` go to :class:`Fleet`."""
    dynamodb = environment.client("dynamodb")
    fleet = Fleet(
        iot=environment.client("iot"),
        dynamodb=dynamodb,
        sqs=environment.client("sqs"),
        names=names,
        **fleet_options,
    )
    return Settings(
        fleet=fleet,
        dynamodb=dynamodb,
        names=names,
        bind=bind,
        public=public,
        target=environment.describe(with_account=False).removeprefix("target: "),
    )


def warm_up(settings: Settings) -> None:
    """Check the table and list the things before serving: a missing stack is a clear error
    at start, and the first page does not pay for the clients' first connections."""
    check_table(settings.dynamodb, settings.names.table)
    settings.fleet.thing_names()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    host, public = bind_address(args.host)
    try:
        environment = AwsEnvironment.resolve(
            region=args.region, endpoint_url=args.endpoint_url, local=args.local
        )
        print(environment.describe(), flush=True)
        settings = build_settings(environment, ResourceNames(args.prefix), bind=host, public=public)
        app = create_app(settings)
        warm_up(settings)
    except (AwsTargetError, AssetsMissing, TableMissing) as error:
        print(f"wio-dashboard: error: {error}", file=sys.stderr)
        return 1
    import uvicorn

    where = "reachable from your network" if public else "this computer only"
    print(f"wio-dashboard: serving on http://{host}:{args.port}/ ({where}); Ctrl+C stops it")
    uvicorn.run(app, host=host, port=args.port, log_level="warning")
    return 0
