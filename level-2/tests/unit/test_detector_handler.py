"""The detector, baseline and forecast handlers against in-memory AWS fakes."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from fakes import FakeDynamoDb, FakeIot, FakeIotData, FakeSns, reading_item
from wio_lake_functions import aws, baseline, detector, forecast, state_store

pytestmark = pytest.mark.unit
READINGS, STATE, ALERTS, FORECAST = "readings", "state", "alerts", "forecast"
NOW = 1767225600 + 10 * 86400  # 2026-01-11T00:00:00Z


class World:
    def __init__(self, things: list[str]) -> None:
        self.ddb = FakeDynamoDb()
        self.iot = FakeIot(things)
        self.iot_data = FakeIotData()
        self.sns = FakeSns()

    def client(self, service: str) -> Any:
        return {"dynamodb": self.ddb, "iot": self.iot, "sns": self.sns}[service]

    def history(self, device: str, days: int, *, until: int = NOW, step: int = 600) -> None:
        for ts in range(until - days * 86400, until, step):
            temp = 22 + 3 * math.sin(2 * math.pi * (ts % 86400) / 86400) + (ts % 7) * 0.05
            self.ddb.put_item(READINGS, reading_item(device, ts, temperature=round(temp, 2),
                                                     humidity=50.0 + (ts % 5) * 0.1))  # fmt: skip

    def run(self, module: Any = detector, **event: Any) -> dict[str, Any]:
        result: dict[str, Any] = module.handler({"now": NOW, **event})
        return result


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    w = World(["wio-1", "wio-2"])
    monkeypatch.setattr(aws, "client", w.client)
    monkeypatch.setattr(aws, "iot_data", lambda: w.iot_data)
    for key, value in {
        "READINGS_TABLE": READINGS, "STATE_TABLE": STATE, "ALERTS_TABLE": ALERTS,
        "ALERTS_TOPIC_ARN": "arn:aws:sns:ap-northeast-1:1:t", "FORECAST_TABLE": FORECAST,
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    return w


def test_first_run_builds_the_baseline_and_raises_nothing(world: World) -> None:
    world.history("wio-1", 3)
    result = world.run()
    assert result["devices"] == 2 and result["alerts"] == 0 and result["failed"] == []
    state = state_store.load(STATE, "wio-1")
    assert state is not None and state.checkpoint == NOW
    assert sum(len(h) for h in state.of("temperature").slots) > 24
    # a device with no history at all: an empty baseline, no crash
    empty = state_store.load(STATE, "wio-2")
    assert empty is not None and all(not h for h in empty.of("temperature").slots)


def test_a_fault_publishes_a_retained_alert_sns_and_a_row(world: World) -> None:
    world.history("wio-1", 3)
    world.run(devices=["wio-1"])
    for i in range(1, 4):
        world.ddb.put_item(READINGS, reading_item("wio-1", NOW + 60 * i, temperature=80.0))
    result = world.run(devices=["wio-1"], now=NOW + 240)
    assert result["alerts"] >= 1
    message = world.iot_data.published[0]
    assert message["topic"] == "device/wio-1/alerts"
    assert message["retain"] is True and message["qos"] == 1
    payload = json.loads(message["payload"])
    assert payload["kind"] == "deviation" and payload["field"] == "temperature"
    assert len(message["payload"]) < 200
    assert world.sns.messages and "wio-1" in world.sns.messages[0]["Subject"]
    rows = world.ddb.plain(ALERTS)
    assert rows[0]["device_id"] == "wio-1" and rows[0]["kind"] == "deviation"
    # the same incident does not alert again on the next run (cooldown)
    world.ddb.put_item(READINGS, reading_item("wio-1", NOW + 300, temperature=80.0))
    again = world.run(devices=["wio-1"], now=NOW + 360)
    assert again["alerts"] == 0


def test_a_single_reading_device_and_duplicates(world: World) -> None:
    world.run(devices=["wio-2"])
    world.ddb.put_item(READINGS, reading_item("wio-2", NOW + 10, temperature=21.0))
    result = world.run(devices=["wio-2"], now=NOW + 20)
    assert result["readings"] == 1 and result["failed"] == []
    # the checkpoint moved: the same reading is not read twice
    assert world.run(devices=["wio-2"], now=NOW + 30)["readings"] == 0


def test_clock_jump_does_not_move_the_checkpoint_past_now(world: World) -> None:
    world.history("wio-1", 3)
    world.run(devices=["wio-1"])
    far = NOW + 30 * 86400  # a device clock 30 days ahead: beyond the query window
    world.ddb.put_item(READINGS, reading_item("wio-1", far, temperature=22.0))
    world.ddb.put_item(READINGS, reading_item("wio-1", NOW + 120, temperature=22.0))
    result = world.run(devices=["wio-1"], now=NOW + 180)
    assert result["readings"] == 1
    state = state_store.load(STATE, "wio-1")
    assert state is not None and state.checkpoint == NOW + 120


def test_silent_device_whose_thing_was_deleted_is_skipped(world: World) -> None:
    world.history("wio-1", 3)
    world.run(devices=["wio-1"])
    world.ddb.put_item(READINGS, reading_item("wio-1", NOW + 60, temperature=22.0))
    world.run(devices=["wio-1"], now=NOW + 120)
    world.iot.things.remove("wio-1")
    result = world.run(devices=["wio-1"], now=NOW + 7200)  # silent for two hours
    assert result["skipped_deleted"] == 1 and result["published"] == 0
    assert result["failed"] == []
    assert not world.iot_data.published


def test_one_failing_device_does_not_stop_the_run(world: World) -> None:
    world.ddb.fail_device = "wio-1"
    result = world.run()
    assert result["failed"] == ["wio-1"] and result["devices"] == 2


def test_baseline_rebuild_and_forecast(world: World) -> None:
    world.history("wio-1", 5)
    result = world.run(baseline)
    assert result["history_items"]["wio-1"] == 5 * 144 and result["failed"] == []
    out = world.run(forecast)
    assert out["hours_written"] == {"wio-1": 6, "wio-2": 0}
    rows = sorted(world.ddb.plain(FORECAST), key=lambda r: r["ts"])
    assert [int(r["ts"]) - NOW for r in rows] == [3600 * i for i in range(6)]
    assert {"temperature", "temperature_mase", "temperature_method", "expires_at"} <= set(rows[0])
