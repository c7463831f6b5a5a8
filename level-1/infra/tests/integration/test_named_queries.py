"""The named queries give the answers a user computes by hand, over data that went
through MQTT and the rule. Locally they run in DuckDB; with --aws, in Athena through
the DynamoDB connector."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from statistics import mean
from typing import Any

import pytest
from it_support import Target, device_items, wait_for

from wio_tools.query import QueryResult, run_named

pytestmark = pytest.mark.integration

JST = dt.timezone(dt.timedelta(hours=9))
NOW = int(time.time())

# (minutes before now, temperature, humidity, light); None = sensor absent.
DATASET: dict[str, list[tuple[int, float | None, float | None, int | None]]] = {
    "qa": [
        (150, 20.0, 50.0, 100),
        (130, 22.5, 52.0, 120),
        (70, 23.0, None, 130),
        (30, 24.5, 54.5, 140),
        (2, 25.0, 55.0, 150),
    ],
    "qb": [
        (23 * 60, 10.0, 30.0, 5),  # inside the 24-hour window
        (26 * 60, 9.0, 29.0, 4),  # outside it: only in the daily stats
        (95, 12.0, 31.0, None),
        (40, 12.5, 31.5, 8),  # latest: 40 minutes ago, so silent
    ],
}


def _rows(result: QueryResult, devices: dict[str, str]) -> list[dict[str, Any]]:
    """Our devices' rows, with the test label in place of the generated thing name."""
    label = {thing: lbl for lbl, thing in devices.items()}
    out = []
    for row in result.as_dicts():
        if row["device_id"] in label:
            out.append({**row, "device_id": label[row["device_id"]]})
    return out


def _jst_naive(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace(" Asia/Tokyo", ""))
    if value.tzinfo is not None:
        value = value.astimezone(JST).replace(tzinfo=None)
    return value


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


@pytest.fixture(scope="module")
def dataset(target: Target, make_device: Any, connect: Any) -> dict[str, str]:
    devices: dict[str, str] = {}
    for label, readings in DATASET.items():
        creds = make_device(label)
        devices[label] = creds.thing_name
        with connect(creds) as client:
            for minutes, temp, hum, light in readings:
                payload: dict[str, Any] = {
                    "device_id": creds.thing_name,
                    "timestamp": NOW - minutes * 60,
                }
                for key, value in (("temperature", temp), ("humidity", hum), ("light", light)):
                    if value is not None:
                        payload[key] = value
                client.publish(creds.topic, json.dumps(payload))
        assert wait_for(
            lambda: len(device_items(target, creds.thing_name)) == len(readings), timeout=30
        )
    return devices


def _run(target: Target, name: str) -> QueryResult:
    if target.is_local:
        return run_named(
            name, backend="local", names=target.names, dynamodb_client=target.client("dynamodb")
        )
    return run_named(
        name, backend="athena", names=target.names, athena_client=target.client("athena")
    )


def test_latest_readings_per_device(target: Target, dataset: dict[str, str]) -> None:
    rows = _rows(_run(target, "latest-readings-per-device"), dataset)
    got = {r["device_id"]: (int(r["timestamp"]), _num(r["temperature"])) for r in rows}
    assert got == {"qa": (NOW - 2 * 60, 25.0), "qb": (NOW - 40 * 60, 12.5)}


def test_hourly_averages_per_device(target: Target, dataset: dict[str, str]) -> None:
    expected: dict[tuple[str, dt.datetime], list[tuple[Any, ...]]] = defaultdict(list)
    for label, readings in DATASET.items():
        for minutes, temp, hum, light in readings:
            ts = NOW - minutes * 60
            if ts < NOW - 24 * 3600:
                continue
            hour = dt.datetime.fromtimestamp(ts, JST).replace(minute=0, second=0, tzinfo=None)
            expected[(label, hour)].append((temp, hum, light))
    rows = _rows(_run(target, "hourly-averages-per-device"), dataset)
    got = {(r["device_id"], _jst_naive(r["hour_jst"])): r for r in rows}
    assert set(got) == set(expected)
    for key, readings in expected.items():
        row = got[key]
        assert int(row["readings"]) == len(readings)
        for idx, column, digits in ((0, "avg_temperature", 2), (1, "avg_humidity", 2)):
            values = [r[idx] for r in readings if r[idx] is not None]
            want = round(mean(values), digits) if values else None
            assert _num(row[column]) == want, (key, column)


def test_daily_stats_per_device(target: Target, dataset: dict[str, str]) -> None:
    expected: dict[tuple[str, dt.date], list[tuple[Any, ...]]] = defaultdict(list)
    for label, readings in DATASET.items():
        for minutes, temp, hum, light in readings:
            day = dt.datetime.fromtimestamp(NOW - minutes * 60, JST).date()
            expected[(label, day)].append((temp, hum, light))
    rows = _rows(_run(target, "daily-stats-per-device"), dataset)
    got = {}
    for r in rows:
        day = r["day_jst"]
        day = dt.date.fromisoformat(day) if isinstance(day, str) else day
        got[(r["device_id"], day)] = r
    assert set(got) == set(expected)
    for key, readings in expected.items():
        row = got[key]
        temps = [r[0] for r in readings if r[0] is not None]
        lights = [r[2] for r in readings if r[2] is not None]
        assert int(row["readings"]) == len(readings)
        assert _num(row["min_temperature"]) == min(temps)
        assert _num(row["max_temperature"]) == max(temps)
        assert _num(row["avg_temperature"]) == round(mean(temps), 2)
        assert _num(row["max_light"]) == (max(lights) if lights else None)


def test_silent_devices(target: Target, dataset: dict[str, str]) -> None:
    rows = _rows(_run(target, "silent-devices"), dataset)
    assert [r["device_id"] for r in rows] == ["qb"]
    # qb's last reading was 40 minutes before NOW; the query runs on the real clock, later.
    elapsed = (int(time.time()) - NOW) // 60
    assert 40 + elapsed <= int(rows[0]["minutes_silent"]) <= 42 + elapsed
