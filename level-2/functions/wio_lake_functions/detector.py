"""Scheduled anomaly detector (EventBridge Scheduler, every 5 minutes by default).

For each device of the IoT registry: load its state, Query its readings newer than the
checkpoint (up to ``now`` plus the allowed clock lead), run ``detect`` per measurement field and
``check_silent``, save the state, and send each alert to the device (retained), to SNS and to the
alerts table. A device seen for the first time gets its baseline from the last
``BASELINE_DAYS`` days first. One device's failure is logged and counted, never fatal; an alert
for a thing deleted meanwhile is skipped, counted and logged.

The event may name ``devices`` (a list) and ``now`` (epoch seconds) for operators and tests.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import wio_lake_functions  # noqa: F401  (resolves WIO_SCHEMA_PATH)
from wio_analytics.detector import DetectorConfig, check_silent, detect, rebuild_baseline
from wio_analytics.model import Alert
from wio_lake_functions import aws, notify, readings, state_store
from wio_lake_functions.fleet import for_each_device

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
DAY = 86400


@dataclass
class Settings:
    readings_table: str
    state_table: str
    alerts_table: str
    topic_arn: str
    baseline_days: int
    config: DetectorConfig

    @classmethod
    def from_env(cls) -> Settings:
        days = int(aws.env("BASELINE_DAYS", "14"))
        cooldown = int(aws.env("ALERT_COOLDOWN_SECONDS", str(6 * 3600)))
        return cls(
            readings_table=aws.env("READINGS_TABLE"),
            state_table=aws.env("STATE_TABLE"),
            alerts_table=aws.env("ALERTS_TABLE", ""),
            topic_arn=aws.env("ALERTS_TOPIC_ARN", ""),
            baseline_days=days,
            config=DetectorConfig(baseline_days=days, cooldown_s=cooldown),
        )


@dataclass
class RunReport:
    devices: int = 0
    readings: int = 0
    alerts: int = 0
    published: int = 0
    skipped_deleted: int = 0
    failed: list[str] = field(default_factory=list)
    payloads: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "devices": self.devices,
            "readings": self.readings,
            "alerts": self.alerts,
            "published": self.published,
            "skipped_deleted": self.skipped_deleted,
            "failed": self.failed,
            "payloads": self.payloads,
        }


def bootstrap(settings: Settings, device: str, now: int) -> state_store.DeviceState:
    """A new device's state: baselines from its recent history (none is fine)."""
    state = state_store.DeviceState(device_id=device)
    start = now - settings.baseline_days * DAY
    items = list(readings.query_items(settings.readings_table, device, start, now))
    for name, history in readings.series(items).items():
        rebuild_baseline(state.of(name), history, config=settings.config)
    state.checkpoint = now
    return state


def evaluate(settings: Settings, device: str, now: int, report: RunReport) -> list[Alert]:
    state = state_store.load(settings.state_table, device)
    if state is None:
        state = bootstrap(settings, device, now)
        LOG.info("new device %s: baseline from %d days", device, settings.baseline_days)
    assert state.checkpoint is not None
    until = now + settings.config.max_future_s
    items = list(readings.query_items(settings.readings_table, device, state.checkpoint, until))
    report.readings += len(items)
    alerts: list[Alert] = []
    for name, series in readings.series(items).items():
        alerts += detect(state.of(name), series, field=name, now=now, config=settings.config)
    newest = state.newest()
    if newest is not None:
        silent = check_silent(newest, now=now, config=settings.config)
        if silent is not None:
            alerts.append(silent)
    if items:
        state.checkpoint = max(state.checkpoint, max(int(i["timestamp"]) for i in items))
    # Deliver first, then save: a failed delivery raises and the next run tries again.
    deliver(settings, device, alerts, now, report)
    state_store.save(settings.state_table, state, now=now)
    return alerts


def deliver(
    settings: Settings, device: str, alerts: list[Alert], now: int, report: RunReport
) -> None:
    if not alerts:
        return
    if not readings.thing_exists(device):
        report.skipped_deleted += len(alerts)
        LOG.warning("skipped %d alerts of %s: the thing no longer exists", len(alerts), device)
        return
    report.alerts += len(alerts)
    for alert in alerts:
        payload = notify.publish_to_device(device, alert)
        report.published += 1
        report.payloads.setdefault(device, []).append(payload)
        if settings.topic_arn:
            notify.notify_people(settings.topic_arn, device, alert)
    if settings.alerts_table:
        notify.write_rows(settings.alerts_table, device, alerts, now=now)


def run(settings: Settings, devices: list[str], now: int) -> RunReport:
    def one(device: str) -> RunReport:
        part = RunReport(devices=1)
        evaluate(settings, device, now, part)
        return part

    parts, failed = for_each_device(devices, one, what="detection")
    report = RunReport(devices=len(devices), failed=failed)
    for device in devices:
        part = parts.get(device)
        if part is None:
            continue
        report.readings += part.readings
        report.alerts += part.alerts
        report.published += part.published
        report.skipped_deleted += part.skipped_deleted
        report.payloads.update(part.payloads)
    return report


def handler(event: Mapping[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    event = event or {}
    settings = Settings.from_env()
    now = int(event.get("now") or time.time())
    devices = list(event.get("devices") or readings.list_devices())
    report = run(settings, devices, now)
    LOG.info(json.dumps({"detector_run": report.as_dict()}))
    return report.as_dict()
