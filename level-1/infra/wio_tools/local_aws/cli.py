"""The ``wio-local-aws`` command line: ``start``, ``stop``, ``status`` and ``env``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wio_tools.local_aws.config import (
    DEFAULT_STATE_FILE,
    STATE_FILE_ENV,
    LocalAwsError,
    default_state_file,
)
from wio_tools.local_aws.process import LocalAws


def _format_env(env: dict[str, str], shell: str) -> str:
    lines = []
    for key, value in env.items():
        if shell == "powershell":
            lines.append(f"$env:{key} = '{value.replace(chr(39), chr(39) * 2)}'")
        elif shell == "cmd":
            lines.append(f"set {key}={value}")
        else:
            lines.append(
                f"export {key}='{value.replace(chr(39), chr(39) + chr(92) + chr(39) * 2)}'"
            )
    return "\n".join(lines)


def _default_shell() -> str:
    return "powershell" if sys.platform == "win32" else "sh"


def _eval_hint(shell: str) -> str:
    if shell == "powershell":
        return "wio-local-aws env --shell powershell | Invoke-Expression"
    if shell == "cmd":
        return "for /f \"delims=\" %i in ('wio-local-aws env --shell cmd') do %i"
    return 'eval "$(wio-local-aws env)"'


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also read by the README command checks)."""
    parser = argparse.ArgumentParser(
        prog="wio-local-aws",
        description="Start/stop local AWS (MiniStack) on 127.0.0.1 on free ports.",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help=f"state file (default ${STATE_FILE_ENV} or {DEFAULT_STATE_FILE})",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start (or reuse) local AWS and wait until ready")
    p_start.add_argument("--gateway-port", type=int, default=None)
    p_start.add_argument("--mqtt-port", type=int, default=None)
    p_start.add_argument("--timeout", type=float, default=90.0)
    p_start.add_argument("--keep-state", action="store_true", help="keep persisted state")
    sub.add_parser("stop", help="stop the recorded instance (no-op if none)")
    sub.add_parser("status", help="print the recorded instance and whether it is healthy")
    p_env = sub.add_parser("env", help="print environment variables that point tools here")
    p_env.add_argument("--shell", choices=["sh", "powershell", "cmd"], default=_default_shell())
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    state_file = args.state_file.resolve() if args.state_file else default_state_file()

    if args.command == "start":
        already = LocalAws.load(state_file)
        try:
            aws = LocalAws.start(
                state_file,
                gateway_port=args.gateway_port,
                mqtt_port=args.mqtt_port,
                reuse=True,
                fresh=not args.keep_state,
                timeout=args.timeout,
            )
        except LocalAwsError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        verb = "already running" if already and already.pid == aws.pid else "started"
        print(
            f"local AWS {verb}: pid {aws.pid}, API {aws.endpoint_url}, "
            f"MQTT/mTLS {aws.mqtt_host}:{aws.mqtt_port}, region {aws.region}",
            file=sys.stderr,
        )
        print(f"  log:   {aws.log_path}", file=sys.stderr)
        print(f"  state: {aws.state_file}", file=sys.stderr)
        print(f"  point tools at it: {_eval_hint(_default_shell())}", file=sys.stderr)
        return 0

    aws_or_none = LocalAws.load(state_file)
    if args.command == "stop":
        if aws_or_none is None:
            print("local AWS is not running (no state file)", file=sys.stderr)
            return 0
        pid = aws_or_none.pid
        aws_or_none.stop()
        print(f"local AWS stopped (pid {pid})", file=sys.stderr)
        return 0
    if args.command == "status":
        if aws_or_none is None:
            print("stopped")
            return 3
        healthy = aws_or_none.is_healthy()
        info = aws_or_none.to_state()
        info["running"] = aws_or_none.is_running()
        info["healthy"] = healthy
        print(json.dumps(info, indent=2))
        return 0 if healthy else 3
    if args.command == "env":
        if aws_or_none is None or not aws_or_none.is_running():
            print(
                "error: local AWS is not running; start it with `wio-local-aws start` "
                "(or `make -C level-1 up`)",
                file=sys.stderr,
            )
            return 1
        print(_format_env(aws_or_none.env(), args.shell))
        return 0
    parser.error(f"unknown command {args.command}")
    return 2
