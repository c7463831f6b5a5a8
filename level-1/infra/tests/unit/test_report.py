"""``wio-query report`` without services: the generalised SQL on DuckDB, and the HTML file."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from dashboard_fakes import NAMES as FAKE_NAMES
from dashboard_fakes import create_level2_tables, put, put_alert, put_forecast

from wio_contract.fields import CONTRACT
from wio_contract.names import ResourceNames
from wio_tools.query.cli import build_parser, report_window
from wio_tools.query.local import run_local
from wio_tools.query.model import QueryError
from wio_tools.query.report import (
    ReportRange,
    build_report,
    read_level2,
    render_report,
    report_sql,
    series_by_device,
)

pytestmark = pytest.mark.unit
NAMES = ResourceNames()
UNTIL = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
HOSTILE = "<script>alert(1)</script>"


def _items() -> list[dict[str, object]]:
    base = int(UNTIL.timestamp())
    items: list[dict[str, object]] = [
        {
            "device_id": "dev-a",
            "timestamp": base - 60 * i,
            "temperature": 20 + i % 3,
            "humidity": 50,
            "light": 100,
        }
        for i in range(1, 121)
    ]
    items.append({"device_id": HOSTILE, "timestamp": base - 30, "light": 7})
    items.append({"device_id": "dev-old", "timestamp": base - 10 * 86400, "light": 1})
    return items


def test_range_devices_and_bucket() -> None:
    short = ReportRange(since=UNTIL - dt.timedelta(hours=2), until=UNTIL)
    sql = report_sql(NAMES, short, ["dev-a", "o'hara"])
    assert "date_trunc('minute'" in sql and "IN ('dev-a', 'o''hara')" in sql
    assert f'"timestamp" < {int(UNTIL.timestamp())}' in sql
    week = ReportRange(since=UNTIL - dt.timedelta(days=7), until=UNTIL)
    assert "date_trunc('hour'" in report_sql(NAMES, week) and " IN (" not in report_sql(NAMES, week)
    with pytest.raises(QueryError):
        ReportRange(since=UNTIL, until=UNTIL)


def test_report_on_duckdb_has_every_device_in_range_and_no_url() -> None:
    window = ReportRange(since=UNTIL - dt.timedelta(hours=2), until=UNTIL)
    result = run_local(report_sql(NAMES, window), names=NAMES, items=_items())
    data = series_by_device(result)
    assert set(data) == {"dev-a", HOSTILE}  # dev-old is outside the range
    assert len(data["dev-a"]["t"]) == 120 and data["dev-a"]["t"] == sorted(data["dev-a"]["t"])
    assert data["dev-a"]["t"][-1] == int(UNTIL.timestamp()) - 60  # buckets are real UTC instants
    assert data[HOSTILE]["values"]["light"] == [7.0]
    assert data[HOSTILE]["values"]["temperature"] == [None]
    page = render_report(data, window=window, sql="SELECT 1", backend="local")
    assert not re.search(r"https?://", page)
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "var uPlot" in page and all(f.title in page for f in CONTRACT.measurements)


def test_empty_report_says_so() -> None:
    window = ReportRange(since=UNTIL - dt.timedelta(hours=1), until=UNTIL)
    page = render_report({}, window=window, sql="", backend="local", lang="ja")
    assert "この期間のデータはありません" in page


def test_cli_window_options() -> None:
    parser = build_parser()
    args = parser.parse_args(["report", "--hours", "3", "--device", "a", "--device", "b"])
    assert args.device == ["a", "b"]
    window = report_window(args, UNTIL)
    assert window.until - window.since == dt.timedelta(hours=3)
    args = parser.parse_args(["report", "--since", "2026-11-30T00:00Z", "--until", "2026-12-01"])
    window = report_window(args, None)
    assert window.since.day == 30 and window.until.day == 1
    with pytest.raises(QueryError):
        report_window(parser.parse_args(["report", "--hours", "0"]), UNTIL)


def _report_data(window: ReportRange) -> dict[str, Any]:
    result = run_local(report_sql(NAMES, window), names=NAMES, items=_items())
    return series_by_device(result)


def _payload(page: str) -> dict[str, Any]:
    found = re.search(r'id="report-data">(.*?)</script>', page, re.DOTALL)
    assert found
    return dict(json.loads(found.group(1)))


def test_report_without_level2_says_it_is_not_deployed(ddb: Any) -> None:
    window = ReportRange(since=UNTIL - dt.timedelta(hours=2), until=UNTIL)
    level2 = read_level2(ddb, FAKE_NAMES, window, ["dev-a"])
    assert level2["available"] is False and "error" not in level2
    page = render_report(
        _report_data(window), window=window, sql="", backend="local", level2=level2
    )
    assert 'id="level2"' in page and 'class="alerts"' not in page
    assert _payload(page)["forecast"] == {}
    ja = render_report({}, window=window, sql="", backend="local", lang="ja")
    assert "レベル2がデプロイされていない" in ja


def test_report_draws_the_forecast_and_lists_alerts_escaped(ddb: Any) -> None:
    create_level2_tables(ddb)
    window = ReportRange(since=UNTIL - dt.timedelta(hours=2), until=UNTIL)
    base = int(UNTIL.timestamp())
    put_alert(ddb, "dev-a", base - 600, "deviation", "temperature")
    put_alert(ddb, HOSTILE, base - 300, "jump", HOSTILE)
    put_alert(ddb, "dev-a", base - 5 * 3600, "stuck", "light")  # before the range
    for step in range(1, 7):
        put_forecast(ddb, "dev-a", base + 3600 * step, temperature=20 + step, light=90)
    data = _report_data(window)
    level2 = read_level2(ddb, FAKE_NAMES, window, sorted(data))
    assert level2["available"] is True
    page = render_report(data, window=window, sql="", backend="local", level2=level2)
    assert 'id="level2"' not in page
    forecast = _payload(page)["forecast"]
    assert forecast["dev-a"]["t"] == [base + 3600 * s for s in range(1, 7)]
    assert forecast["dev-a"]["values"]["temperature"] == [21, 22, 23, 24, 25, 26]
    assert forecast[HOSTILE]["t"] == []
    assert page.count('<table class="alerts">') == 2
    assert '<td class="text">deviation</td>' in page
    assert '<td class="text">stuck value</td>' not in page  # only alerts in the range
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "dash: [6, 4]" in page and "forecast(fc.t" in page
    assert not re.search(r"https?://", page)


def test_build_report_reads_level2_through_the_same_client(ddb: Any) -> None:
    window = ReportRange(since=UNTIL - dt.timedelta(hours=1), until=UNTIL)
    base = int(UNTIL.timestamp())
    put(ddb, "dev-a", base - 600, temperature=21.5, humidity=40, light=10)
    options: dict[str, Any] = {"backend": "local", "dynamodb_client": ddb, "now": UNTIL}
    absent, _ = build_report(FAKE_NAMES, window, **options)
    assert 'id="level2"' in absent and _payload(absent)["forecast"] == {}
    create_level2_tables(ddb)
    put_forecast(ddb, "dev-a", base + 3600, temperature=22)
    put_alert(ddb, "dev-a", base - 300, "deviation", "temperature")
    page, result = build_report(FAKE_NAMES, window, **options)
    assert result.backend == "local" and 'id="level2"' not in page
    assert _payload(page)["forecast"]["dev-a"]["values"]["temperature"] == [22]
    assert page.count('<table class="alerts">') == 1
