"""Scheduled forecast: the next hours per device and field into the forecast table.

One item per (device_id, ts) hour: each measurement field's predicted hourly mean, its method
and its MASE against seasonal naive (back-test on the last hours). Items expire (TTL
``expires_at``) two days after their hour.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import wio_lake_functions  # noqa: F401  (resolves WIO_SCHEMA_PATH)
from wio_analytics.forecast import Forecast, forecast_device
from wio_lake_functions import aws, readings
from wio_lake_functions.fleet import for_each_device

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
DAY = 86400


def _n(value: float) -> dict[str, str]:
    return {"N": str(Decimal(str(round(float(value), 4))))}


def items_of(device: str, forecasts: dict[str, Forecast], now: int) -> list[dict[str, Any]]:
    by_ts: dict[int, dict[str, Any]] = {}
    for name, fc in sorted(forecasts.items()):
        for i, value in enumerate(fc.values):
            if value != value:
                continue
            ts = fc.start + i * fc.step_s
            item = by_ts.setdefault(
                ts,
                {
                    "device_id": {"S": device},
                    "ts": {"N": str(ts)},
                    "generated_at": {"N": str(now)},
                    "expires_at": {"N": str(ts + 2 * DAY)},
                },
            )
            item[name] = _n(value)
            item[f"{name}_method"] = {"S": fc.method}
            if fc.mase_vs_seasonal_naive is not None:
                item[f"{name}_mase"] = _n(fc.mase_vs_seasonal_naive)
    return [by_ts[ts] for ts in sorted(by_ts)]


def forecast_one(table: str, out_table: str, device: str, now: int, days: int, hours: int) -> int:
    items = list(readings.query_items(table, device, now - days * DAY, now))
    forecasts: dict[str, Forecast] = {}
    for name, series in readings.series(items).items():
        fc = forecast_device(series, now=now, horizon_hours=hours)
        if fc is not None:
            forecasts[name] = fc
    rows = items_of(device, forecasts, now)
    ddb = aws.client("dynamodb")
    for row in rows:
        ddb.put_item(TableName=out_table, Item=row)
    return len(rows)


def handler(event: Mapping[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    event = event or {}
    now = int(event.get("now") or time.time())
    table = aws.env("READINGS_TABLE")
    out_table = aws.env("FORECAST_TABLE")
    days = int(aws.env("FORECAST_HISTORY_DAYS", "4"))
    hours = int(aws.env("FORECAST_HORIZON_HOURS", "6"))
    devices = list(event.get("devices") or readings.list_devices())
    written, failed = for_each_device(
        devices,
        lambda device: forecast_one(table, out_table, device, now, days, hours),
        what="forecast",
    )
    result = {"devices": len(devices), "hours_written": written, "failed": failed}
    LOG.info(json.dumps({"forecast_run": result}))
    return result
