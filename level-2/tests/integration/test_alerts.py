"""Detector, alerts, deleted things and forecasts on local AWS."""

from __future__ import annotations

import json
import time

import pytest

from it_support import Target, wait_for
from wio_lake.mqtt import DeviceClient

pytestmark = pytest.mark.integration


def _sns_queue(target: Target) -> str:
    sqs = target.client("sqs")
    url = sqs.create_queue(QueueName=f"it-{target.run_id}-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    target.client("sns").subscribe(
        TopicArn=target.outputs["AlertsTopicArn"], Protocol="sqs", Endpoint=arn
    )
    return str(url)


def test_a_fault_is_published_retained_notified_and_stored(target: Target) -> None:
    creds = target.history_device
    device = creds.thing_name
    queue_url = _sns_queue(target)
    now = int(time.time())
    first = target.invoke("DetectorFunctionName", {"devices": [device], "now": now})
    assert first["alerts"] == 0 and first["failed"] == []
    ddb = target.client("dynamodb")
    with DeviceClient.for_credentials(creds) as client:
        for i in range(3):  # the device develops a fault: 80 degC
            client.publish_json(creds.topic, {"device_id": device, "timestamp": now + 10 + i,
                                              "temperature": 80.0, "humidity": 50.0})  # fmt: skip

    def stored() -> bool:
        items = ddb.query(
            TableName=target.names.table, KeyConditionExpression="device_id = :d AND #t > :n",
            ExpressionAttributeNames={"#t": "timestamp"},
            ExpressionAttributeValues={":d": {"S": device}, ":n": {"N": str(now)}},
        )["Items"]  # fmt: skip
        return len(items) == 3

    assert wait_for(stored, timeout=20)
    result = target.invoke("DetectorFunctionName", {"devices": [device], "now": now + 20})
    assert result["alerts"] >= 1 and result["published"] >= 1, result

    # the device gets it: retained, so a subscription made afterwards still receives it
    with DeviceClient.for_credentials(creds) as client:
        client.subscribe(f"device/{device}/alerts")
        message = client.next_message(timeout=10)
    assert message is not None, "no retained alert"
    topic, payload, retained = message
    assert topic == f"device/{device}/alerts" and retained
    alert = json.loads(payload)
    assert alert["kind"] == "deviation" and alert["field"] == "temperature"
    assert len(payload) < 200

    rows = ddb.query(
        TableName=target.names.alerts_table, KeyConditionExpression="device_id = :d",
        ExpressionAttributeValues={":d": {"S": device}},
    )["Items"]  # fmt: skip
    assert rows and rows[0]["kind"]["S"] == "deviation"
    assert rows[0]["alert_id"]["S"] == alert["id"]

    sqs = target.client("sqs")
    got = wait_for(
        lambda: sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages"),
        timeout=15,
    )
    assert got and device in got[0]["Body"]


def test_an_alert_for_a_deleted_thing_is_skipped(target: Target, make_device) -> None:
    from wio_tools.provision import delete_thing

    creds = make_device("gone")
    device = creds.thing_name
    now = int(time.time())
    ddb = target.client("dynamodb")
    for i in range(3):
        ddb.put_item(TableName=target.names.table, Item={
            "device_id": {"S": device}, "timestamp": {"N": str(now - 300 + 60 * i)},
            "temperature": {"N": "21.0"}, "received_at": {"N": str(now * 1000)},
        })  # fmt: skip
    target.invoke("DetectorFunctionName", {"devices": [device], "now": now - 600})
    target.invoke("DetectorFunctionName", {"devices": [device], "now": now})
    delete_thing(device, target=target.provision_target, certs_dir=target.certs_dir)
    later = target.invoke("DetectorFunctionName", {"devices": [device], "now": now + 7200})
    assert later["skipped_deleted"] == 1 and later["failed"] == [] and later["published"] == 0
    # and the scheduled form (registry listing) does not know the thing any more
    listed = target.invoke("DetectorFunctionName", {"now": now + 7200})
    assert listed["failed"] == []


def test_forecast_and_baseline_jobs(target: Target) -> None:
    device = target.history_device.thing_name
    now = int(time.time())
    baseline = target.invoke("BaselineFunctionName", {"devices": [device], "now": now})
    assert baseline["failed"] == [] and baseline["history_items"][device] > 500
    result = target.invoke("ForecastFunctionName", {"devices": [device], "now": now})
    assert result["hours_written"] == {device: 6}
    rows = target.client("dynamodb").query(
        TableName=target.names.forecast_table, KeyConditionExpression="device_id = :d",
        ExpressionAttributeValues={":d": {"S": device}},
    )["Items"]  # fmt: skip
    hours = sorted(int(r["ts"]["N"]) for r in rows)
    assert hours == [now // 3600 * 3600 + 3600 * i for i in range(6)]
    assert all("temperature" in r and "temperature_mase" in r for r in rows)


def test_the_schedules_exist(target: Target) -> None:
    scheduler = target.client("scheduler")
    for name, expression in (
        ("attempt-scheduler-anomaly-detector", "rate(5 minutes)"),
        ("attempt-scheduler-baseline-rebuild", "cron(0 18 * * ? *)"),
        ("attempt-scheduler-forecast", "rate(1 hour)"),
    ):
        schedule = scheduler.get_schedule(Name=name)
        assert schedule["ScheduleExpression"] == expression
        assert schedule["Target"]["Arn"].startswith("arn:aws:lambda:")
