"""wio-dashboard in a real browser (Debian chromium, headless, through selenium).

Publishes readings over MQTT/mTLS to the session's stack, opens the dashboard, and checks that
every chart drew the points it was given (``data-points`` is set from the data handed to uPlot)
and that a reading published while the page is open appears without a reload.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest

from dashboard_support import (
    ListedThings,
    chart_points,
    serve_dashboard,
    publish_reading,
    screenshot_path,
    wait_until,
)
from it_support import Target, device_items, wait_for

from wio_contract.fields import CONTRACT
from wio_tools.dashboard.browser import find_chromium

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None, reason="apt-get install chromium chromium-driver"),
]
FIELDS = [f.name for f in CONTRACT.measurements]
HOSTILE_NAMES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a&amp;b\"'"]
SCRIPTS = 4  # the page's own: the JSON data block and three files


@pytest.fixture(scope="module")
def dashboard(target: Target) -> Iterator[str]:
    with serve_dashboard(target) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from wio_tools.dashboard.browser import headless_chrome

    with headless_chrome(width=1280, height=760) as driver:
        yield driver


@pytest.mark.integration
def test_charts_draw_the_published_points_and_update_live(
    target: Target, make_device: Any, connect: Any, dashboard: str, browser: Any, tmp_path: Path
) -> None:
    full, light_only = make_device("dash"), make_device("dash-light")
    now = int(time.time())
    stamps = [now - 600 + 45 * i for i in range(12)]
    with connect(full) as client:
        for i, stamp in enumerate(stamps):
            publish_reading(
                client, full, stamp, temperature=21.0 + i / 4, humidity=45.0 + i, light=300 + 9 * i
            )
    with connect(light_only) as client:
        for stamp in stamps[:4]:
            publish_reading(client, light_only, stamp, light=800)
    assert wait_for(lambda: len(device_items(target, full.thing_name)) == 12, timeout=15)
    assert wait_for(lambda: len(device_items(target, light_only.thing_name)) == 4, timeout=15)

    browser.get(f"{dashboard}/device?id={full.thing_name}&lang=en")
    drawn = wait_until(
        lambda: all(chart_points(browser).get(f) is not None for f in FIELDS)
        and chart_points(browser),
        15,
        "the charts",
    )
    assert drawn == {f: 12 for f in FIELDS}
    assert browser.find_element("id", "charts").get_attribute("data-items-read") == "12"

    browser.execute_script("window.__sameDocument = true")
    with connect(full) as client:
        publish_reading(client, full, now + 1, temperature=24.5, humidity=60.0, light=410)
    wait_until(lambda: chart_points(browser) == {f: 13 for f in FIELDS}, 20, "the live reading")
    assert browser.execute_script("return window.__sameDocument === true"), "the page reloaded"
    browser.save_screenshot(str(screenshot_path(tmp_path, "dashboard.png")))

    browser.get(f"{dashboard}/device?id={light_only.thing_name}")
    only = wait_until(
        lambda: all(chart_points(browser).get(f) is not None for f in FIELDS)
        and chart_points(browser),
        15,
        "the light-only charts",
    )
    assert only == {f: (4 if f == "light" else 0) for f in FIELDS}

    browser.get(f"{dashboard}/?lang=en")
    row = wait_until(
        lambda: browser.find_elements("css selector", f'tr[data-device="{full.thing_name}"]'),
        15,
        "the device row",
    )[0]
    assert "reporting" in row.text

    browser.get(f"{dashboard}/device?id=no-such-device")
    assert "No device named" in browser.find_element("id", "not-found").text


@pytest.mark.integration
def test_hostile_names_are_shown_as_text(target: Target, browser: Any) -> None:
    # AWS (and the emulator) allow only [a-zA-Z0-9:_-] in thing names, so the registry is
    # stood in for; the readings are real items in the table.
    ddb = target.client("dynamodb")
    stamp = str(int(time.time()))
    keys = [{"device_id": {"S": name}, "timestamp": {"N": stamp}} for name in HOSTILE_NAMES]
    for key in keys:
        ddb.put_item(TableName=target.names.table, Item={**key, "light": {"N": "5"}})
    try:
        with serve_dashboard(target, iot=ListedThings(HOSTILE_NAMES)) as url:
            browser.get(f"{url}/?lang=en")
            links = wait_until(
                lambda: [a.text for a in browser.find_elements("css selector", "#devices a")],
                15,
                "the device rows",
            )
            assert sorted(links) == sorted(HOSTILE_NAMES)
            assert not browser.find_elements("css selector", "#devices img, #devices script")
            assert browser.execute_script("return document.scripts.length") == SCRIPTS
            for name in HOSTILE_NAMES:
                browser.get(f"{url}/device?id={quote(name, safe='')}")
                wait_until(lambda: chart_points(browser).get("light") == 1, 15, f"{name}'s chart")
                assert browser.find_element("id", "device-name").text == name
                assert name in browser.title
                assert browser.execute_script("return document.scripts.length") == SCRIPTS
                assert not browser.find_elements("css selector", "main img")
    finally:
        for key in keys:
            ddb.delete_item(TableName=target.names.table, Key=key)
