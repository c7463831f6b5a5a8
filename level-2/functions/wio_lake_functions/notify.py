"""Where an alert goes: the device (retained MQTT), people (SNS) and the alerts table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from wio_analytics.model import Alert
from wio_contract.names import ResourceNames
from wio_lake_functions import aws


def alert_id(device: str, alert: Alert) -> str:
    text = f"{device}|{alert.kind}|{alert.field}|{alert.ts}"
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def publish_to_device(device: str, alert: Alert) -> str:
    """Retained QoS 1 message on ``device/<thing>/alerts``; returns the payload."""
    payload = alert.to_device_json(alert_id(device, alert))
    aws.iot_data().publish(
        topic=ResourceNames.alerts_topic(device), qos=1, retain=True, payload=payload.encode()
    )
    return payload


def notify_people(topic_arn: str, device: str, alert: Alert) -> None:
    subject = f"wio alert: {device} {alert.kind} {alert.field or ''}".strip()[:100]
    body = {"device_id": device, "alert_id": alert_id(device, alert), **alert.to_dict()}
    aws.client("sns").publish(
        TopicArn=topic_arn, Subject=subject, Message=json.dumps(body, indent=2)
    )


def _number(value: float | None) -> dict[str, str] | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return {"N": str(Decimal(str(round(float(value), 4))))}


def _alert_map(device: str, alert: Alert) -> dict[str, Any]:
    out: dict[str, Any] = {
        "alert_id": {"S": alert_id(device, alert)},
        "kind": {"S": alert.kind},
    }
    if alert.field:
        out["field"] = {"S": alert.field}
    for key in ("value", "expected", "score"):
        number = _number(getattr(alert, key))
        if number is not None:
            out[key] = number
    return out


def write_rows(table: str, device: str, alerts: Sequence[Alert], *, now: int) -> int:
    """One row per (device, ts): the strongest alert on top, all of them under ``alerts``."""
    by_ts: dict[int, list[Alert]] = {}
    for alert in alerts:
        by_ts.setdefault(int(alert.ts), []).append(alert)
    ddb = aws.client("dynamodb")
    for ts, group in sorted(by_ts.items()):
        group.sort(key=lambda a: -a.score)
        item = {
            "device_id": {"S": device},
            "ts": {"N": str(ts)},
            **_alert_map(device, group[0]),
            "alerts": {"L": [{"M": _alert_map(device, a)} for a in group]},
            "created_at": {"N": str(now)},
        }
        ddb.put_item(TableName=table, Item=item)
    return len(by_ts)
