"""wio-dashboard in a real browser (Debian chromium, headless, through selenium).

Publishes readings over MQTT/mTLS to the session's stack, opens the dashboard, and checks that
every chart drew the points it was given (``data-points`` is set from the data handed to uPlot)
and that a reading published while the page is open appears without a reload.

Level 2 on the device page: without its tables the page says level 2 is not deployed; with
them (created here in the local stack, level 2's key schema, deleted again) every chart draws
the forecast steps (``data-forecast-points``) and the alerts list shows hostile text as text.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest

from dashboard_support import (
    ListedThings,
    chart_points,
    forecast_points,
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


LEVEL2_STEPS = 6
LEVEL2_KEYS = [("device_id", "S", "HASH"), ("ts", "N", "RANGE")]  # level 2's tables


def _tables(ddb: Any) -> set[str]:
    return {t for page in ddb.get_paginator("list_tables").paginate() for t in page["TableNames"]}


@pytest.fixture
def level2_tables(target: Target) -> Iterator[None]:
    """Level 2's alerts and forecast tables, created for one test and deleted after it."""
    if not target.is_local:
        pytest.skip("creates tables: local stack only")
    ddb = target.client("dynamodb")
    wanted = [target.names.alerts_table, target.names.forecast_table]
    created = [t for t in wanted if t not in _tables(ddb)]
    for table in created:
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": n, "KeyType": k} for n, _, k in LEVEL2_KEYS],
            AttributeDefinitions=[
                {"AttributeName": n, "AttributeType": t} for n, t, _ in LEVEL2_KEYS
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    for table in created:
        ddb.get_waiter("table_exists").wait(TableName=table)
    try:
        yield
    finally:
        for table in created:
            ddb.delete_table(TableName=table)
            ddb.get_waiter("table_not_exists").wait(TableName=table)
        assert not set(created) & _tables(ddb), "level 2's test tables outlived the test"


def _put_readings(ddb: Any, table: str, device: str, now: int) -> list[dict[str, Any]]:
    keys = [{"device_id": {"S": device}, "timestamp": {"N": str(now - 60 * i)}} for i in range(3)]
    for key in keys:
        values = {
            f.name: {"N": str(f.minimum if f.minimum is not None else 1)}
            for f in CONTRACT.measurements
        }
        ddb.put_item(TableName=table, Item={**key, **values})
    return keys


def _delete(ddb: Any, table: str, keys: list[dict[str, Any]]) -> None:
    for key in keys:
        ddb.delete_item(TableName=table, Key=key)


@pytest.mark.integration
def test_without_level2_the_device_page_says_so(target: Target, browser: Any) -> None:
    ddb = target.client("dynamodb")
    if {target.names.alerts_table, target.names.forecast_table} & _tables(ddb):
        pytest.skip("level 2 is deployed here")
    device = f"it-nol2-{uuid.uuid4().hex[:6]}"
    keys = _put_readings(ddb, target.names.table, device, int(time.time()))
    try:
        with serve_dashboard(target, iot=ListedThings([device])) as url:
            browser.get(f"{url}/device?id={device}&lang=en")
            wait_until(
                lambda: browser.find_element("id", "charts").get_attribute("data-level2"),
                15,
                "level 2's answer",
            )
            alerts = browser.find_element("id", "alerts")
            assert alerts.get_attribute("data-available") == "false"
            assert alerts.get_attribute("data-rows") == "0"
            assert alerts.text == "Level 2 is not deployed: no alerts or forecast."
            assert forecast_points(browser) == {f: 0 for f in FIELDS}
            assert chart_points(browser) == {f: 3 for f in FIELDS}
            browser.get(f"{url}/device?id={device}&lang=ja")
            wait_until(
                lambda: "レベル2" in browser.find_element("id", "alerts").text, 15, "the note (ja)"
            )
    finally:
        _delete(ddb, target.names.table, keys)


@pytest.mark.integration
def test_level2_forecast_and_alerts_on_the_device_page(
    target: Target, browser: Any, level2_tables: None, tmp_path: Path
) -> None:
    ddb = target.client("dynamodb")
    names = target.names
    device = f"it-l2-{uuid.uuid4().hex[:6]}"
    now = int(time.time())
    readings = _put_readings(ddb, names.table, device, now)
    hour = now - now % 3600
    steps = [hour + 3600 * i for i in range(1, LEVEL2_STEPS + 1)]
    for i, stamp in enumerate(steps):
        row: dict[str, Any] = {"device_id": {"S": device}, "ts": {"N": str(stamp)}}
        row.update({"generated_at": {"N": str(now)}, "expires_at": {"N": str(stamp + 172800)}})
        for f in CONTRACT.measurements:
            low = f.minimum if f.minimum is not None else 0
            row[f.name] = {"N": str(low + i + 1)}
            row[f"{f.name}_method"] = {"S": "seasonal_naive"}
        ddb.put_item(TableName=names.forecast_table, Item=row)
    alerts = [(now - 120, "deviation", FIELDS[0]), (now - 60, "jump", HOSTILE_NAMES[0])]
    for stamp, kind, field in alerts:
        top = {"alert_id": {"S": f"a{stamp}"}, "kind": {"S": kind}, "field": {"S": field}}
        top.update({"value": {"N": "35.5"}, "expected": {"N": "21"}, "score": {"N": "6.2"}})
        item = {"device_id": {"S": device}, "ts": {"N": str(stamp)}, **top}
        item.update({"alerts": {"L": [{"M": top}]}, "created_at": {"N": str(now)}})
        ddb.put_item(TableName=names.alerts_table, Item=item)
    try:
        with serve_dashboard(target, iot=ListedThings([device])) as url:
            browser.get(f"{url}/device?id={device}&lang=en")
            wait_until(
                lambda: browser.find_elements("css selector", '#alerts[data-rows="2"]'),
                15,
                "the alert rows",
            )
            wait_until(
                lambda: forecast_points(browser) == {f: LEVEL2_STEPS for f in FIELDS},
                15,
                "the forecast series",
            )
            assert chart_points(browser) == {f: 3 for f in FIELDS}
            fields = [td.text for td in browser.find_elements("css selector", "#alerts td.field")]
            assert HOSTILE_NAMES[0] in fields  # the literal text, newest first
            assert fields[0] == HOSTILE_NAMES[0]
            assert not browser.find_elements("css selector", "#alerts script, #alerts img")
            assert browser.execute_script("return document.scripts.length") == SCRIPTS
            legends = [e.text for e in browser.find_elements("css selector", ".chart .u-legend")]
            assert legends and all("Forecast" in text for text in legends)
            browser.save_screenshot(str(tmp_path / "dashboard-level2.png"))
    finally:
        _delete(ddb, names.table, readings)
