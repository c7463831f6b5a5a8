"""Every switch of the analytics stack, validated from CDK context into a frozen object.

Only ``app.py`` reads context; constructs receive :class:`AnalyticsSettings`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk

from wio_contract.names import DEFAULT_PREFIX

PREFIX_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PREFIX_MAX_LENGTH = 16
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}
SCHEDULE_RE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")


class ContextError(ValueError):
    """A CDK context value is invalid."""


@dataclass(frozen=True)
class AnalyticsSettings:
    prefix: str = DEFAULT_PREFIX
    #: Target the MiniStack emulator: no named queries (AWS::Athena::NamedQuery cannot deploy
    #: there) and no auto-delete custom resource.
    local: bool = False
    lake: bool = True
    detector: bool = True
    forecast: bool = True
    detector_schedule: str = "rate(5 minutes)"
    #: 18:00 UTC = 03:00 JST
    baseline_schedule: str = "cron(0 18 * * ? *)"
    forecast_schedule: str = "rate(1 hour)"
    alert_email: str | None = None
    alert_cooldown_hours: int = 6
    baseline_days: int = 14
    forecast_history_days: int = 4
    stream_batch_size: int = 500
    stream_batching_window_seconds: int = 60
    lake_buffer_seconds: int = 300
    lake_error_retention_days: int = 30
    retain_data: bool = False

    @property
    def named_queries(self) -> bool:
        return not self.local

    @property
    def removal_policy(self) -> cdk.RemovalPolicy:
        return cdk.RemovalPolicy.RETAIN if self.retain_data else cdk.RemovalPolicy.DESTROY


CONTEXT_KEYS = tuple(AnalyticsSettings.__dataclass_fields__)


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ContextError(f"context {key}={value!r}: expected true or false")


def _int(value: Any, key: str, lo: int, hi: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ContextError(f"context {key}={value!r}: expected a whole number") from None
    if not lo <= number <= hi:
        raise ContextError(f"context {key}={value!r}: must be between {lo} and {hi}")
    return number


_INT_RANGES = {
    "alert_cooldown_hours": (0, 24 * 7),
    "baseline_days": (1, 28),
    "forecast_history_days": (3, 28),
    "stream_batch_size": (1, 10000),
    "stream_batching_window_seconds": (0, 300),
    "lake_buffer_seconds": (60, 900),
    "lake_error_retention_days": (1, 3650),
}


def settings_from_context(context: Mapping[str, Any]) -> AnalyticsSettings:
    """Validate context values (strings from ``-c``, or JSON values from cdk.json)."""
    unknown = set(context) - set(CONTEXT_KEYS)
    assert not unknown, unknown  # app.py only passes known keys
    values: dict[str, Any] = {}
    for key, raw in context.items():
        if raw is None:
            continue
        field_type = AnalyticsSettings.__dataclass_fields__[key].type
        if key in _INT_RANGES:
            values[key] = _int(raw, key, *_INT_RANGES[key])
        elif field_type == "bool":
            values[key] = _bool(raw, key)
        else:
            text = str(raw).strip()
            values[key] = text or None
    prefix = values.get("prefix") or DEFAULT_PREFIX
    if not PREFIX_RE.match(prefix) or len(prefix) > PREFIX_MAX_LENGTH:
        raise ContextError(
            f"context prefix={prefix!r}: use 1-{PREFIX_MAX_LENGTH} lowercase letters, digits and "
            "single hyphens, starting with a letter (the same rule as level 1)"
        )
    values["prefix"] = prefix
    for key in ("detector_schedule", "baseline_schedule", "forecast_schedule"):
        if key in values:
            if values[key] is None or not SCHEDULE_RE.match(values[key]):
                raise ContextError(
                    f"context {key}={values[key]!r}: expected rate(...) or cron(...)"
                )
    email = values.get("alert_email")
    if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise ContextError(f"context alert_email={email!r}: not an e-mail address")
    return AnalyticsSettings(**values)
