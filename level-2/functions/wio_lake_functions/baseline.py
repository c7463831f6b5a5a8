"""Nightly baseline rebuild from the last ``BASELINE_DAYS`` days of each device's readings.

The history comes from a DynamoDB Query per device, not from the lake: reading the lake's
Parquet in Lambda needs pyarrow (a large layer) or an Athena query per device (at least 10 MB
billed each); 14 days of one device is about 20,000 small items, a few hundred read units.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import wio_lake_functions  # noqa: F401  (resolves WIO_SCHEMA_PATH)
from wio_analytics.detector import rebuild_baseline
from wio_lake_functions import readings, state_store
from wio_lake_functions.fleet import for_each_device
from wio_lake_functions.detector import DAY, Settings

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)


def rebuild(settings: Settings, device: str, now: int) -> int:
    state = state_store.load(settings.state_table, device) or state_store.DeviceState(device)
    start = now - settings.baseline_days * DAY
    items = list(readings.query_items(settings.readings_table, device, start, now))
    for name, history in readings.series(items).items():
        rebuild_baseline(state.of(name), history, config=settings.config)
    if state.checkpoint is None:
        state.checkpoint = now
    state_store.save(settings.state_table, state, now=now)
    return len(items)


def handler(event: Mapping[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    event = event or {}
    settings = Settings.from_env()
    now = int(event.get("now") or time.time())
    devices = list(event.get("devices") or readings.list_devices())
    done, failed = for_each_device(
        devices, lambda device: rebuild(settings, device, now), what="baseline"
    )
    result = {"devices": len(devices), "history_items": done, "failed": failed}
    LOG.info(json.dumps({"baseline_run": result}))
    return result
