"""The ``wio-provision`` command line: argument parsing and ``main``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

from wio_tools.provision.credentials import (
    DEFAULT_CERTS_DIR,
    DEFAULT_SECRETS_OUT,
    DeviceCredentials,
)
from wio_tools.provision.deletion import delete_things, fleet_members
from wio_tools.provision.secrets_header import (
    MACRO_THING_NAME,
    PLACEHOLDER_PASSWORD,
    PLACEHOLDER_SSID,
    c_string_literal,
)
from wio_tools.environment import AwsEnvironment, AwsTargetError
from wio_tools.provision.target import DEFAULT_CONCURRENCY, ProvisionError
from wio_tools.provision.things import (
    fleet_thing_names,
    provision_fleet,
    provision_thing,
    provision_things,
)


# --------------------------------------------------------------------------- CLI
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wio-provision",
        description="Provision Wio Terminal things (certificate, policy, endpoint) in AWS IoT "
        "Core or local AWS, and write their credentials and arduino_secrets.h.",
    )
    p.add_argument("things", nargs="*", metavar="THING", help="thing name(s)")
    p.add_argument("--fleet", type=int, metavar="N", help="provision N things <prefix>-0001…")
    p.add_argument("--fleet-prefix", default="sim", help="thing name prefix for --fleet (sim)")
    p.add_argument("--wifi-ssid", default=PLACEHOLDER_SSID)
    p.add_argument("--wifi-password", default=PLACEHOLDER_PASSWORD)
    p.add_argument("--prefix", default="attempt", help="stack resource prefix (attempt)")
    p.add_argument("--certs-dir", type=Path, default=DEFAULT_CERTS_DIR)
    p.add_argument(
        "--secrets-out",
        type=Path,
        default=None,
        help=f"arduino_secrets.h path, single thing only (default {DEFAULT_SECRETS_OUT})",
    )
    p.add_argument("--no-secrets", action="store_true", help="do not write arduino_secrets.h")
    p.add_argument("--delete", action="store_true", help="revoke and delete instead")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    p.add_argument(
        "--region",
        default=None,
        help="AWS region (default: AWS_REGION, the profile's region, else ap-northeast-1)",
    )
    p.add_argument("--endpoint-url", default=None, help="AWS API endpoint (local AWS)")
    p.add_argument(
        "--local",
        action="store_true",
        help="use the local AWS recorded by wio-local-aws",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.fleet is not None and args.things:
        parser.error("give thing names or --fleet N, not both")
    if args.fleet is None and not args.things and not args.delete:
        parser.error("give at least one thing name, or --fleet N")
    if args.secrets_out is not None and (args.fleet is not None or len(args.things) != 1):
        parser.error("--secrets-out needs exactly one thing name")
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        target = AwsEnvironment.resolve(
            region=args.region,
            endpoint_url=args.endpoint_url,
            local=args.local,
            max_pool_connections=args.concurrency + 2,
        )
        say(target.describe())
        where = f"local AWS {target.endpoint_url}" if target.is_local else f"AWS {target.region}"
        if args.delete:
            if args.fleet is not None or not args.things:
                names = (
                    fleet_thing_names(args.fleet_prefix, args.fleet)
                    if args.fleet is not None
                    else fleet_members(args.fleet_prefix, target=target, certs_dir=args.certs_dir)
                )
            else:
                names = list(args.things)
            say(f"deleting {len(names)} thing(s) in {where} …")
            n = delete_things(
                names,
                target=target,
                certs_dir=args.certs_dir,
                concurrency=args.concurrency,
            )
            say(f"deleted {n} thing(s) and their certificates; removed local files")
            if len(names) == 1 and args.secrets_out is None:
                _remove_secrets_for(names[0], DEFAULT_SECRETS_OUT, say)
            elif args.secrets_out is not None:
                _remove_secrets_for(names[0], args.secrets_out, say)
            return 0
        t0 = time.monotonic()
        if args.fleet is not None:
            say(f"provisioning fleet {args.fleet_prefix} × {args.fleet} in {where} …")
            fleet = provision_fleet(
                args.fleet,
                fleet_prefix=args.fleet_prefix,
                target=target,
                prefix=args.prefix,
                certs_dir=args.certs_dir,
                concurrency=args.concurrency,
                progress=say,
            )
            new = sum(1 for c in fleet if c.created_certificate)
            say(
                f"fleet ready: {len(fleet)} things ({new} new certificates) in "
                f"{time.monotonic() - t0:.1f}s; credentials under {args.certs_dir}"
            )
            return 0
        if len(args.things) == 1:
            secrets = None if args.no_secrets else (args.secrets_out or DEFAULT_SECRETS_OUT)
            creds = provision_thing(
                args.things[0],
                target=target,
                prefix=args.prefix,
                certs_dir=args.certs_dir,
                secrets_out=secrets,
                wifi_ssid=args.wifi_ssid,
                wifi_password=args.wifi_password,
            )
            _report(creds, say)
            if secrets is not None:
                say(f"  sketch secrets: {secrets}")
                if args.wifi_ssid == PLACEHOLDER_SSID:
                    say(
                        "  (Wi-Fi SSID/password are placeholders: pass --wifi-ssid/--wifi-password)"
                    )
            return 0
        for creds in provision_things(
            args.things,
            target=target,
            prefix=args.prefix,
            certs_dir=args.certs_dir,
            concurrency=args.concurrency,
        ):
            _report(creds, say)
        return 0
    except (ProvisionError, AwsTargetError) as e:
        say(f"error: {e}")
        return 1


def _remove_secrets_for(thing_name: str, path: Path, say: Callable[[str], None]) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    if f"#define {MACRO_THING_NAME} {c_string_literal(thing_name)}" in text:
        path.unlink()
        say(f"removed {path}")


def _report(creds: DeviceCredentials, say: Callable[[str], None]) -> None:
    verb = "new certificate" if creds.created_certificate else "existing certificate kept"
    say(
        f"{creds.thing_name}: {verb} {creds.certificate_id[:12]}…, policy {creds.policy_name}, "
        f"endpoint {creds.endpoint}:{creds.port}"
    )
    say(f"  files: {creds.directory}")
    if creds.local:
        say(f"  local broker: {creds.mqtt_host}:{creds.mqtt_port} (CA {creds.ca_path.name})")
