"""The device page's first load: the preloaded first request, and the start-up check."""

from __future__ import annotations

import html
import json
import re
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's httpx2 hint, as in test_dashboard.py
    from starlette.testclient import TestClient

from dashboard_fakes import NAMES, StubIot, StubSqs
from wio_contract.names import ResourceNames
from wio_tools.dashboard.app import Settings, create_app
from wio_tools.dashboard.cli import main, warm_up
from wio_tools.dashboard.fleet import Fleet
from wio_tools.dashboard.readings import FIRST_BATCH, TableMissing, check_table

pytestmark = pytest.mark.unit
HOSTILE = "<script>x</script>&'\" dev"


def _settings(ddb: Any, things: list[str]) -> Settings:
    fleet = Fleet(iot=StubIot(things), dynamodb=ddb, sqs=StubSqs(), names=NAMES)
    return Settings(
        fleet=fleet, dynamodb=ddb, names=NAMES, bind="127.0.0.1", public=False, target="unit"
    )


def _page_parts(text: str) -> tuple[str, dict[str, Any]]:
    preload = re.search(
        r'<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]*)">', text
    )
    meta = re.search(r'<script type="application/json" id="meta">(.*?)</script>', text, re.S)
    assert preload and meta, "the device page has a preload link and a meta block"
    return html.unescape(preload.group(1)), json.loads(meta.group(1))


@pytest.mark.parametrize("window", ["hour", "day", "week"])
def test_the_preloaded_url_is_the_one_the_page_fetches_first(ddb: Any, window: str) -> None:
    client = TestClient(create_app(_settings(ddb, [HOSTILE])))
    response = client.get("/device", params={"id": HOSTILE, "range": window})
    assert response.status_code == 200
    href, meta = _page_parts(response.text)
    assert href == meta["first_url"]
    assert meta["range"] == window and meta["first_limit"] == FIRST_BATCH
    assert "<script>x" not in response.text.split("<body")[0].replace(
        '<script type="application/json" id="meta">', ""
    ), "the name is escaped in the head"
    answer = client.get(href)  # the URL the browser preloads is a valid API call
    assert answer.status_code == 200
    body = answer.json()
    assert body["device"] == HOSTILE and body["range"] == window


def test_an_unknown_range_opens_on_the_hour(ddb: Any) -> None:
    client = TestClient(create_app(_settings(ddb, ["dev-a"])))
    href, meta = _page_parts(client.get("/device?id=dev-a&range=year").text)
    assert meta["range"] == "hour" and "range=hour" in href


def test_the_list_page_and_the_missing_page_preload_nothing(ddb: Any) -> None:
    client = TestClient(create_app(_settings(ddb, ["dev-a"])))
    assert 'rel="preload"' not in client.get("/").text
    missing = client.get("/device?id=nobody")
    assert missing.status_code == 404 and 'rel="preload"' not in missing.text


def test_start_up_check_names_a_missing_table(ddb: Any) -> None:
    check_table(ddb, NAMES.table)
    with pytest.raises(TableMissing, match="other-dynamodb-sensor-data.*deploy level 1"):
        check_table(ddb, ResourceNames("other").table)


def test_after_the_warm_up_the_first_page_does_not_list_the_things_again(ddb: Any) -> None:
    iot = StubIot(["dev-a", "dev-b"])
    settings = _settings(ddb, [])
    settings.fleet.iot = iot
    warm_up(settings)
    assert iot.listings == 1
    assert TestClient(create_app(settings)).get("/device?id=dev-b").status_code == 200
    assert iot.listings == 1


def test_the_dashboard_exits_with_a_clear_error_when_level_1_is_absent(
    ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--prefix", "absent", "--region", "ap-northeast-1", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "absent-dynamodb-sensor-data not found" in err and "deploy level 1" in err
