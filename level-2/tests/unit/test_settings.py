"""Context validation into frozen settings."""

from __future__ import annotations

import dataclasses

import pytest

from analytics_infra.settings import AnalyticsSettings, ContextError, settings_from_context

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    s = settings_from_context({})
    assert s == AnalyticsSettings()
    assert s.detector_schedule == "rate(5 minutes)"
    assert s.named_queries and not s.local
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.prefix = "x"  # type: ignore[misc]


def test_strings_from_the_command_line() -> None:
    s = settings_from_context(
        {"local": "true", "lake": "no", "stream_batch_size": "50", "alert_email": "a@b.co"}
    )
    assert s.local and not s.lake and not s.named_queries
    assert s.stream_batch_size == 50 and s.alert_email == "a@b.co"


@pytest.mark.parametrize(
    "context",
    [
        {"prefix": "Bad_Prefix"},
        {"detector_schedule": "every 5 minutes"},
        {"stream_batch_size": "0"},
        {"lake_buffer_seconds": "30"},
        {"alert_email": "nobody"},
        {"local": "maybe"},
        {"baseline_days": "x"},
    ],
)
def test_bad_values_are_refused(context: dict[str, str]) -> None:
    with pytest.raises(ContextError):
        settings_from_context(context)
