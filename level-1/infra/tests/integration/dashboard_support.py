"""The dashboard against the session's stack, and a headless Chromium to look at it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from it_support import Target

SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "dashboard.png"
"""The committed screenshot; only ``UPDATE_SCREENSHOTS=1`` makes the test overwrite it."""


def environment_for(target: Target) -> Any:
    from wio_tools.environment import AwsEnvironment

    return AwsEnvironment.resolve(
        region=target.region, endpoint_url=target.endpoint_url, env=target.env
    )


class ListedThings:
    """A stand-in for ``iot list_things`` that lists the given names (any characters)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def get_paginator(self, operation: str) -> Any:
        names = self.names

        class Pages:
            def paginate(self, **_: Any) -> Any:
                return iter([{"things": [{"thingName": n} for n in names]}])

        return Pages()


@contextmanager
def serve_dashboard(target: Target, *, iot: Any = None) -> Iterator[str]:
    """The dashboard on a free 127.0.0.1 port, reading the session's stack."""
    from wio_tools.dashboard.app import create_app
    from wio_tools.dashboard.cli import build_settings
    from wio_tools.dashboard.server import serve_in_thread

    settings = build_settings(
        environment_for(target),
        target.names,
        bind="127.0.0.1",
        public=False,
        list_ttl=0.5,
        latest_ttl=0.5,
    )
    if iot is not None:
        settings.fleet.iot = iot
    with serve_in_thread(create_app(settings)) as url:
        yield url


def screenshot_path(tmp_path: Path, name: str) -> Path:
    return SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / name


def publish_reading(client: Any, creds: Any, stamp: int, **values: float) -> None:
    payload = {"device_id": creds.thing_name, "timestamp": stamp, **values}
    client.publish(creds.topic, json.dumps(payload))


def chart_points(driver: Any) -> dict[str, int | None]:
    """Each chart container's data-points (None while it has not drawn yet)."""
    script = (
        "return Array.from(document.querySelectorAll('.chart')).map("
        "c => [c.dataset.field, c.dataset.points === undefined ? null : +c.dataset.points])"
    )
    return {name: points for name, points in driver.execute_script(script)}


def forecast_points(driver: Any) -> dict[str, int]:
    """Each chart container's data-forecast-points (the forecast points given to uPlot)."""
    script = (
        "return Array.from(document.querySelectorAll('.chart')).map("
        "c => [c.dataset.field, +c.dataset.forecastPoints])"
    )
    return {name: points for name, points in driver.execute_script(script)}


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.1)
