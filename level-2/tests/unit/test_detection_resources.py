"""Detector, baseline and forecast: schedules, tables, topic and least-privilege policies."""

from __future__ import annotations

import pytest

from synth_support import ALERT_EMAIL, Synth, as_list, flat

pytestmark = pytest.mark.unit


def _actions(statements: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in statements:
        for action in as_list(s["Action"]):
            out.setdefault(action, []).extend(flat(r) for r in as_list(s["Resource"]))
    return out


def test_schedules(default: Synth, custom: Synth) -> None:
    schedules = {s["Properties"]["Name"]: s["Properties"]
                 for s in default.resources("AWS::Scheduler::Schedule").values()}  # fmt: skip
    assert schedules["attempt-scheduler-anomaly-detector"]["ScheduleExpression"] == (
        "rate(5 minutes)"
    )
    assert schedules["attempt-scheduler-baseline-rebuild"]["ScheduleExpression"] == (
        "cron(0 18 * * ? *)"
    )
    assert schedules["attempt-scheduler-forecast"]["ScheduleExpression"] == "rate(1 hour)"
    custom_names = {s["Properties"]["Name"]: s["Properties"]
                    for s in custom.resources("AWS::Scheduler::Schedule").values()}  # fmt: skip
    assert custom_names["demo-scheduler-anomaly-detector"]["ScheduleExpression"] == (
        "rate(15 minutes)"
    )


def test_tables(default: Synth) -> None:
    tables = {t["Properties"]["TableName"]: t["Properties"]
              for t in default.resources("AWS::DynamoDB::Table").values()}  # fmt: skip
    assert set(tables) == {
        "attempt-dynamodb-sensor-alerts",
        "attempt-dynamodb-sensor-detector-state",
        "attempt-dynamodb-sensor-forecast",
    }
    alerts = tables["attempt-dynamodb-sensor-alerts"]
    assert alerts["KeySchema"] == [
        {"AttributeName": "device_id", "KeyType": "HASH"},
        {"AttributeName": "ts", "KeyType": "RANGE"},
    ]
    forecast = tables["attempt-dynamodb-sensor-forecast"]
    assert forecast["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    for table in tables.values():
        assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_detector_policy_is_least_privilege(default: Synth) -> None:
    detection = default.stack.detection
    assert detection is not None
    actions = _actions(default.statements(detection.detector.role))
    assert set(actions) == {
        "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "iot:ListThings",
        "iot:DescribeThing", "iot:DescribeEndpoint", "iot:Publish", "iot:RetainPublish",
        "sns:Publish", "logs:CreateLogStream", "logs:PutLogEvents",
    }  # fmt: skip
    assert len(actions["dynamodb:Query"]) == 1
    assert ":table/attempt-dynamodb-sensor-data" in actions["dynamodb:Query"][0]
    for action in ("iot:Publish", "iot:RetainPublish"):
        assert len(actions[action]) == 1
        assert ":topic/device/*/alerts" in actions[action][0]
    assert actions["iot:ListThings"] == ['"*"']


def test_nothing_scans_and_nothing_has_action_wildcards(synths: dict[str, Synth]) -> None:
    for synth in synths.values():
        for policy in synth.resources("AWS::IAM::Policy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                assert statement["Effect"] == "Allow"
                for action in as_list(statement["Action"]):
                    assert action != "dynamodb:Scan", synth.name
                    assert not action.endswith("*"), (synth.name, action)
                if "*" in as_list(statement["Resource"]):
                    assert set(as_list(statement["Action"])) <= {
                        "dynamodb:ListStreams", "iot:ListThings", "iot:DescribeThing",
                        "iot:DescribeEndpoint",
                    }, (synth.name, statement)  # fmt: skip


def test_email_subscription_only_when_asked(default: Synth, custom: Synth) -> None:
    assert not default.resources("AWS::SNS::Subscription")
    subscription = custom.one("AWS::SNS::Subscription")
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == ALERT_EMAIL
    assert default.one("AWS::SNS::Topic")["TopicName"] == "attempt-sns-sensor-alerts"


def test_retain_data_keeps_tables_and_bucket(default: Synth, custom: Synth) -> None:
    for resource in custom.resources("AWS::DynamoDB::Table").values():
        assert resource["DeletionPolicy"] == "Retain"
    for resource in default.resources("AWS::DynamoDB::Table").values():
        assert resource["DeletionPolicy"] == "Delete"
