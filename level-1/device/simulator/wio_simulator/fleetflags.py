"""The realistic-fleet and alert flags, shared by ``wio-sim`` and both benches."""

from __future__ import annotations

import argparse
from typing import Any


def add_fleet_flags(p: argparse.ArgumentParser, *, alerts_default: bool | None) -> None:
    """``alerts_default=None``: on for a single device, off for a fleet."""
    g = p.add_argument_group("a realistic fleet (each off by default)")
    g.add_argument(
        "--start-spread", type=float, default=None,
        help="spread device start-ups over this many seconds (default: the interval, or what "
        "the connect-rate cap needs)",
    )  # fmt: skip
    g.add_argument(
        "--jitter", type=float, default=0.0,
        help="interval jitter: each interval is interval × uniform(1-J, 1+J) (default 0)",
    )  # fmt: skip
    g.add_argument(
        "--flaky-share", type=float, default=0.0,
        help="share of devices whose link drops now and then; they reconnect with the "
        "board's backoff (default 0)",
    )  # fmt: skip
    g.add_argument(
        "--flaky-up", type=float, default=20.0,
        help="mean seconds a flaky link stays up (default 20)",
    )  # fmt: skip
    g.add_argument(
        "--clock-skew", type=float, default=0.0,
        help="each device's clock is off by up to ±S whole seconds (default 0)",
    )  # fmt: skip
    g.add_argument(
        "--alerts", action=argparse.BooleanOptionalAction, default=alerts_default,
        help="subscribe to device/<thing>/alerts (QoS 1) and print each alert as one line "
        + (
            "(default: on for one device, off for a fleet)"
            if alerts_default is None
            else f"(default {'on' if alerts_default else 'off'})"
        ),
    )  # fmt: skip


def fleet_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """FleetConfig fields from the flags (only those that were given a value)."""
    for name in ("jitter", "flaky_share"):
        value = getattr(args, name)
        if not 0.0 <= value <= 1.0:
            raise SystemExit(f"error: --{name.replace('_', '-')} must be within 0..1")
    out: dict[str, Any] = {
        "interval_jitter": args.jitter,
        "flaky_share": args.flaky_share,
        "flaky_mean_up_s": args.flaky_up,
        "clock_skew_s": args.clock_skew,
    }
    if args.alerts is not None:
        out["subscribe_alerts"] = bool(args.alerts)
    if args.start_spread is not None:
        out["stagger"] = args.start_spread
    return out
