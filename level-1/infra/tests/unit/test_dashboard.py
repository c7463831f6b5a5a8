"""wio-dashboard without services: readings (moto DynamoDB), the device list, pages, bad input."""

from __future__ import annotations

import time
from typing import Any

import warnings

import pytest

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2, which needs Python 3.11; the project supports 3.10.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from dashboard_fakes import (
    NAMES,
    CountingDynamoDB,
    StubIot,
    StubSqs,
    create_level2_tables,
    put,
    put_alert,
    put_forecast,
)
from wio_contract.fields import CONTRACT
from wio_tools.dashboard.app import Settings, create_app
from wio_tools.dashboard.cli import bind_address
from wio_tools.dashboard.fleet import Fleet, silent_after_seconds
from wio_tools.dashboard.level2 import FORECAST_MARGIN, Level2
from wio_tools.dashboard.pages import STRINGS
from wio_tools.dashboard.pages import pick_lang
from wio_tools.dashboard.readings import MEASUREMENTS, RANGES, read_series

pytestmark = pytest.mark.unit
NOW = int(time.time())


def _client(
    ddb: Any, things: list[str], sqs: StubSqs | None = None, level2: Level2 | None = None
) -> TestClient:
    counting = CountingDynamoDB(ddb)
    fleet = Fleet(iot=StubIot(things), dynamodb=counting, sqs=sqs or StubSqs(), names=NAMES)
    settings = Settings(
        fleet=fleet,
        dynamodb=counting,
        names=NAMES,
        bind="127.0.0.1",
        public=False,
        target="unit test",
        level2=level2,
    )
    return TestClient(create_app(settings))


def test_contract_drives_the_charted_fields() -> None:
    assert MEASUREMENTS == tuple(f.name for f in CONTRACT.measurements)
    assert set(MEASUREMENTS) >= {"temperature", "humidity", "light"}


def test_silent_rule_is_the_named_querys_interval() -> None:
    assert silent_after_seconds() == 15 * 60


@pytest.mark.parametrize(
    "query,cookie,header,expected",
    [
        (None, None, "ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        (None, None, "en-US,en;q=0.9,ja;q=0.8", "en"),
        (None, None, "fr-FR, ja;q=0.5", "ja"),
        (None, None, None, "en"),
        ("en", "ja", "ja", "en"),
        (None, "ja", "en", "ja"),
        ("xx", None, "ja", "ja"),
    ],
)
def test_language_choice(query: Any, cookie: Any, header: Any, expected: str) -> None:
    assert pick_lang(query, cookie, header) == expected


def test_series_at_schema_limits_and_light_only(ddb: Any) -> None:
    limits = {f.name: f for f in CONTRACT.measurements}
    put(ddb, "dev-a", NOW - 120, **{n: f.minimum for n, f in limits.items()})  # type: ignore
    put(ddb, "dev-a", NOW - 60, **{n: f.maximum for n, f in limits.items()})  # type: ignore
    put(ddb, "dev-light", NOW - 30, light=512)
    series = read_series(ddb, NAMES.table, "dev-a", window=RANGES["hour"])
    assert series.t == [NOW - 120, NOW - 60]
    for name, field in limits.items():
        assert series.values[name] == [field.minimum, field.maximum]
    assert series.items_read == 2
    light = read_series(ddb, NAMES.table, "dev-light", window=RANGES["hour"])
    assert light.values["light"] == [512]
    assert all(light.values[n] == [None] for n in MEASUREMENTS if n != "light")


def test_series_range_and_incremental_reads(ddb: Any) -> None:
    for age in (7200, 1800, 600, 10):
        put(ddb, "dev-b", NOW - age, temperature=20.5)
    hour = read_series(ddb, NAMES.table, "dev-b", window=RANGES["hour"])
    assert hour.t == [NOW - 1800, NOW - 600, NOW - 10]
    newer = read_series(ddb, NAMES.table, "dev-b", window=RANGES["hour"], after=NOW - 600)
    assert newer.t == [NOW - 10]
    assert read_series(ddb, NAMES.table, "dev-b", window=3600, after=NOW).t == []
    empty = read_series(ddb, NAMES.table, "nobody", window=RANGES["week"])
    assert empty.to_json()["last"] is None and empty.items_read == 0
    capped = read_series(ddb, NAMES.table, "dev-b", window=RANGES["day"], max_points=2)
    assert capped.truncated and capped.t == [NOW - 600, NOW - 10]


def test_newest_batch_first_then_the_rest(ddb: Any) -> None:
    for age in range(10, 110, 10):
        put(ddb, "dev-c", NOW - age, humidity=30.0)
    first = read_series(ddb, NAMES.table, "dev-c", window=RANGES["hour"], limit=4)
    assert first.t == [NOW - 40, NOW - 30, NOW - 20, NOW - 10] and not first.complete
    rest = read_series(ddb, NAMES.table, "dev-c", window=RANGES["hour"], before=first.t[0])
    assert rest.t == [NOW - age for age in range(100, 40, -10)] and rest.complete
    assert rest.items_read + first.items_read == 10
    whole = read_series(ddb, NAMES.table, "dev-c", window=RANGES["hour"], limit=1000)
    assert whole.complete and whole.items_read == 10


def test_ten_thousand_devices_are_paginated_without_querying_them_all(ddb: Any) -> None:
    things = [f"wio-{i:05d}" for i in range(10_000)]
    counting = CountingDynamoDB(ddb)
    iot = StubIot(things)
    fleet = Fleet(iot=iot, dynamodb=counting, sqs=StubSqs(), names=NAMES)
    put(ddb, "wio-00000", NOW - 5, temperature=21.0, humidity=40.0, light=100)
    first = fleet.page(1)
    assert first["total"] == 10_000 and first["pages"] == 100 and len(first["devices"]) == 100
    assert counting.queries == 100
    assert first["devices"][0]["latest"]["temperature"] == 21.0
    assert not first["devices"][0]["silent"] and first["devices"][1]["silent"]
    last = fleet.page(500, per_page=1000)  # clamped to the last page of 100
    assert last["page"] == 100 and last["devices"][-1]["device"] == "wio-09999"
    assert counting.queries == 200
    fleet.page(1)  # cached: no new queries, no new listing
    assert counting.queries == 200 and iot.listings == 1


def test_api_devices_and_rejected_count(ddb: Any) -> None:
    client = _client(ddb, ["b", "a"])
    body = client.get("/api/devices").json()
    assert [d["device"] for d in body["devices"]] == ["a", "b"]
    assert body["rejected"] == {"queue": NAMES.rejected_queue, "approximate": 4, "scope": "fleet"}
    missing = _client(ddb, ["a"], StubSqs(missing=True)).get("/api/devices").json()
    assert missing["rejected"]["approximate"] is None


def test_unknown_device_is_404_json_and_a_friendly_page(ddb: Any) -> None:
    client = _client(ddb, ["known"])
    api = client.get("/api/readings", params={"id": "ghost", "range": "hour"})
    assert api.status_code == 404 and api.json()["error"] == "unknown device"
    page = client.get("/device", params={"id": "ghost", "lang": "en"})
    assert page.status_code == 404 and 'id="not-found"' in page.text and "ghost" in page.text
    client.cookies.clear()  # the ?lang=en above set the language cookie
    ja = client.get("/device", params={"id": "ghost"}, headers={"Accept-Language": "ja"})
    assert "見つかりません" in ja.text


def test_bad_range_and_empty_range(ddb: Any) -> None:
    client = _client(ddb, ["known"])
    assert client.get("/api/readings", params={"id": "known", "range": "year"}).status_code == 400
    put(ddb, "known", NOW - 3 * 86400, light=1)
    empty = client.get("/api/readings", params={"id": "known", "range": "hour"}).json()
    assert empty["t"] == [] and empty["items_read"] == 0
    week = client.get("/api/readings", params={"id": "known", "range": "week"}).json()
    assert week["values"]["light"] == [1]


def test_hostile_names_are_escaped_and_csp_is_set(ddb: Any) -> None:
    hostile = "<script>alert(1)</script>"
    client = _client(ddb, [hostile])
    page = client.get("/device", params={"id": hostile})
    assert page.status_code == 200
    assert hostile not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "\\u003cscript\\u003e" in page.text  # inside the JSON data block
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    missing = client.get("/device", params={"id": "<img src=x onerror=alert(1)>"})
    assert "<img" not in missing.text


def test_pages_name_no_external_url(ddb: Any) -> None:
    client = _client(ddb, ["a"])
    for path in ("/", "/device?id=a", "/static/dashboard.js", "/static/charts.js"):
        text = client.get(path).text
        assert "http://" not in text and "https://" not in text, path
    assert client.get("/vendor/uPlot.iife.min.js").status_code == 200
    assert "127.0.0.1" in client.get("/").text


def test_bind_address_is_loopback_unless_host_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    assert bind_address(None) == ("127.0.0.1", False)
    assert bind_address("::1") == ("::1", False)
    assert capsys.readouterr().err == ""
    assert bind_address("0.0.0.0") == ("0.0.0.0", True)
    assert "WARNING" in capsys.readouterr().err


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_level2_absent_is_cached_briefly_and_never_raises(ddb: Any) -> None:
    counting = CountingDynamoDB(ddb)
    calls: list[str] = []
    real = counting.get_paginator

    def paginator(operation: str) -> Any:
        calls.append(operation)
        return real(operation)

    counting.get_paginator = paginator  # type: ignore[method-assign]
    clock = _Clock(NOW)
    level2 = Level2(counting, NAMES, absent_ttl=60, clock=clock)
    assert level2.alerts("dev") == {"available": False, "device": "dev", "rows": []}
    forecast = level2.forecast("dev")
    assert forecast["available"] is False and forecast["t"] == []
    assert set(forecast["values"]) == set(MEASUREMENTS)
    assert len(calls) == 2
    level2.alerts("dev"), level2.forecast("dev")  # within the TTL: no call
    assert len(calls) == 2
    create_level2_tables(ddb)  # level 2 gets deployed
    assert level2.alerts("dev")["available"] is False  # still the cached answer
    clock.now += 61
    assert level2.alerts("dev") == {"available": True, "device": "dev", "rows": []}
    assert level2.forecast("dev")["available"] is True and len(calls) == 4


def test_level2_rows_newest_alerts_first_and_forecast_columns(ddb: Any) -> None:
    create_level2_tables(ddb)
    hostile = "<script>alert(1)</script>"
    put_alert(ddb, "dev", NOW - 300, "deviation", "temperature")
    put_alert(ddb, "dev", NOW - 200, "jump", hostile)
    put_alert(ddb, "dev", NOW - 100, "silent")
    put_alert(ddb, "other", NOW - 50, "stuck", "light")
    level2 = Level2(CountingDynamoDB(ddb), NAMES, clock=lambda: NOW)
    alerts = level2.alerts("dev")
    assert [r["kind"] for r in alerts["rows"]] == ["silent", "jump", "deviation"]
    assert alerts["rows"][1] == {
        "ts": NOW - 200,
        "kind": "jump",
        "field": hostile,
        "alert_id": f"id-{NOW - 200}",
        "value": 35.2,
        "expected": 21,
        "score": 7.5,
    }
    assert alerts["rows"][0]["field"] is None and alerts["rows"][0]["value"] is None
    assert [r["kind"] for r in level2.alerts("dev", limit=1)["rows"]] == ["silent"]
    hour = 3600
    put_forecast(ddb, "dev", NOW - FORECAST_MARGIN - 1, temperature=1)  # too old to show
    for step in range(1, 7):
        put_forecast(ddb, "dev", NOW + step * hour, temperature=20 + step, light=100)
    forecast = level2.forecast("dev")
    assert forecast["t"] == [NOW + step * hour for step in range(1, 7)]
    assert forecast["values"]["temperature"] == [21, 22, 23, 24, 25, 26]
    assert forecast["values"]["humidity"] == [None] * 6
    assert forecast["method"] == {"temperature": "seasonal_naive", "light": "seasonal_naive"}
    assert forecast["mase"]["light"] == 0.8 and "humidity" not in forecast["mase"]
    assert level2.forecast("nobody")["t"] == [] and level2.forecast("nobody")["available"]


def test_level2_routes(ddb: Any) -> None:
    client = _client(ddb, ["known"])
    for path in ("/api/alerts", "/api/forecast"):
        ghost = client.get(path, params={"id": "ghost"})
        assert ghost.status_code == 404 and ghost.json()["error"] == "unknown device"
        assert client.get(path).status_code == 404
        absent = client.get(path, params={"id": "known"})
        assert absent.status_code == 200 and absent.json()["available"] is False
    create_level2_tables(ddb)
    put_alert(ddb, "known", NOW - 10, "deviation", "humidity")
    put_forecast(ddb, "known", NOW + 3600, humidity=55.5)
    client = _client(ddb, ["known"])  # a new app: no cached "absent"
    alerts = client.get("/api/alerts", params={"id": "known", "limit": "5"}).json()
    assert alerts["available"] and alerts["device"] == "known"
    assert alerts["rows"][0]["field"] == "humidity"
    forecast = client.get("/api/forecast", params={"id": "known"}).json()
    assert forecast["t"] == [NOW + 3600] and forecast["values"]["humidity"] == [55.5]


def test_device_page_has_the_alert_section_and_both_languages_have_the_strings() -> None:
    keys = {"alerts", "forecast", "no_alerts", "level2_absent"}
    assert keys <= set(STRINGS["en"]) and keys <= set(STRINGS["ja"])
    assert STRINGS["en"].keys() == STRINGS["ja"].keys()
    assert "Level 2 is not deployed" in STRINGS["en"]["level2_absent"]
    assert "予測" in STRINGS["ja"]["forecast"] and "アラート" in STRINGS["ja"]["alerts"]


def test_device_page_renders_the_alerts_container(ddb: Any) -> None:
    page = _client(ddb, ["dev"]).get("/device", params={"id": "dev"}).text
    assert '<section id="alerts"' in page
