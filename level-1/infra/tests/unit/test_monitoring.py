"""CloudWatch alarms, dashboard and the optional SNS e-mail topic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.monitoring import rule_metric_query
from synth_helpers import ALARM_EMAIL, Synth, get_att

pytestmark = pytest.mark.unit

ALARM_SUFFIXES = {
    "rule-action-failures",
    "rule-error-action-failures",
    "rejected-rule-action-failures",
    "rejected-rule-error-action-failures",
    "rule-throttled",
    "rejected-messages",
    "dynamodb-system-errors",
    "dynamodb-throttles",
    "rule-parse-errors",
    "rejected-rule-parse-errors",
}
AWS_ONLY_SUFFIXES = {"unhandled-messages"}


def _alarms(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        alarm["Properties"]["AlarmName"]: alarm["Properties"]
        for alarm in synth.resources("AWS::CloudWatch::Alarm").values()
    }


def test_alarm_names_and_common_settings(default: Synth, custom: Synth) -> None:
    for synth, prefix in ((default, "attempt"), (custom, "demo")):
        alarms = _alarms(synth)
        suffixes = ALARM_SUFFIXES | AWS_ONLY_SUFFIXES
        assert set(alarms) == {f"{prefix}-alarm-{suffix}" for suffix in suffixes}
        for name, props in alarms.items():
            assert props["Threshold"] == 1
            if name.endswith("unhandled-messages"):
                assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)
            else:
                assert props["EvaluationPeriods"] == 1
            assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            assert props["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize(
    ("suffix", "metric", "rule"),
    [
        ("rule-action-failures", "Failure", "attempt_iot_rule_sensor_data"),
        ("rule-error-action-failures", "ErrorActionFailure", "attempt_iot_rule_sensor_data"),
        ("rejected-rule-action-failures", "Failure", "attempt_iot_rule_sensor_data_rejected"),
        (
            "rejected-rule-error-action-failures",
            "ErrorActionFailure",
            "attempt_iot_rule_sensor_data_rejected",
        ),
    ],
)
def test_rule_failure_alarms_cover_every_action_type(
    suffix: str, metric: str, rule: str, default: Synth, local: Synth
) -> None:
    props = _alarms(default)[f"attempt-alarm-{suffix}"]
    assert props["Metrics"] == [
        {
            "Expression": (
                f'SELECT SUM({metric}) FROM SCHEMA("AWS/IoT", ActionType, RuleName) '
                f"WHERE RuleName = '{rule}'"
            ),
            "Id": "expr_1",
            "Period": 300,
            "ReturnData": True,
        }
    ]
    assert rule_metric_query(metric, rule) == props["Metrics"][0]["Expression"]
    # The emulator rejects metric-math alarms: local uses the plain RuleName series.
    local_props = _alarms(local)[f"attempt-alarm-{suffix}"]
    assert "Metrics" not in local_props
    assert local_props["Namespace"] == "AWS/IoT"
    assert local_props["MetricName"] == metric
    assert local_props["Dimensions"] == [{"Name": "RuleName", "Value": rule}]


def test_plain_metric_alarms(default: Synth) -> None:
    alarms = _alarms(default)
    table = default.logical_id(default.stack.storage.table)
    queue = default.logical_id(default.stack.ingest.rejected_queue)
    expected = {
        "attempt-alarm-rule-throttled": (
            "AWS/IoT",
            "RuleMessageThrottled",
            [{"Name": "RuleName", "Value": "attempt_iot_rule_sensor_data"}],
            "Sum",
        ),
        "attempt-alarm-rejected-messages": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": get_att(queue, "QueueName")}],
            "Maximum",
        ),
        "attempt-alarm-dynamodb-system-errors": (
            "AWS/DynamoDB",
            "SystemErrors",
            [
                {"Name": "Operation", "Value": "PutItem"},
                {"Name": "TableName", "Value": {"Ref": table}},
            ],
            "Sum",
        ),
        "attempt-alarm-dynamodb-throttles": (
            "AWS/DynamoDB",
            "ThrottledRequests",
            [
                {"Name": "Operation", "Value": "PutItem"},
                {"Name": "TableName", "Value": {"Ref": table}},
            ],
            "Sum",
        ),
    }
    for name, (namespace, metric, dimensions, statistic) in expected.items():
        props = alarms[name]
        assert props["Namespace"] == namespace, name
        assert props["MetricName"] == metric, name
        assert props["Dimensions"] == dimensions, name
        assert props["Statistic"] == statistic, name
        assert props["Period"] == 300, name


def test_no_alarm_actions_without_email(default: Synth) -> None:
    assert default.resources("AWS::SNS::Topic") == {}
    for props in _alarms(default).values():
        assert "AlarmActions" not in props


def test_alarm_email_topic(custom: Synth) -> None:
    topic_id, topic = custom.one("AWS::SNS::Topic")
    assert topic["Properties"]["TopicName"] == "demo-sns-alarms"
    _, subscription = custom.one("AWS::SNS::Subscription")
    assert subscription["Properties"] == {
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
        "Endpoint": ALARM_EMAIL,
    }
    _, policy = custom.one("AWS::SNS::TopicPolicy")
    assert {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": {"Ref": topic_id},
        "Sid": "AllowPublishThroughSSLOnly",
    } in policy["Properties"]["PolicyDocument"]["Statement"]
    for props in _alarms(custom).values():
        assert props["AlarmActions"] == [{"Ref": topic_id}]


def _dashboard_body(synth: Synth) -> str:
    _, dashboard = synth.one("AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == (
        f"{synth.stack.settings.prefix}-cloudwatch-dashboard-sensor"
    )
    return json.dumps(dashboard["Properties"]["DashboardBody"])


def test_dashboard_shows_messages_failures_and_writes(default: Synth) -> None:
    body = _dashboard_body(default)
    for needle in (
        "Messages in (IoT rules)",
        "Rule failures",
        "Table writes",
        "TopicMatch",
        "ConsumedWriteCapacityUnits",
        "SuccessfulRequestLatency",
        "SUM(Failure)",
        "ApproximateNumberOfMessagesVisible",
    ):
        assert needle in body, needle


def test_unhandled_alarm_is_topic_match_minus_stored_minus_rejected(
    default: Synth, local: Synth
) -> None:
    props = _alarms(default)["attempt-alarm-unhandled-messages"]
    queries = {q["Id"]: q for q in props["Metrics"]}
    expression = next(q["Expression"] for q in props["Metrics"] if "Expression" in q)
    assert expression == "FILL(m, 0) - FILL(s, 0) - FILL(sf, 0) - FILL(r, 0) - FILL(rf, 0)"

    def metric(query_id: str) -> tuple[str, dict[str, str]]:
        stat = queries[query_id]["MetricStat"]["Metric"]
        return stat["MetricName"], {d["Name"]: d["Value"] for d in stat["Dimensions"]}

    main, rejected = "attempt_iot_rule_sensor_data", "attempt_iot_rule_sensor_data_rejected"
    assert metric("m") == ("TopicMatch", {"RuleName": main})
    assert metric("s") == ("Success", {"RuleName": main, "ActionType": "DynamoDBv2"})
    assert metric("sf") == ("Failure", {"RuleName": main, "ActionType": "DynamoDBv2"})
    assert metric("r") == ("Success", {"RuleName": rejected, "ActionType": "SQS"})
    assert metric("rf") == ("Failure", {"RuleName": rejected, "ActionType": "SQS"})
    # The emulator rejects metric-math alarms: locally there is no such alarm.
    assert "attempt-alarm-unhandled-messages" not in _alarms(local)


def test_parse_errors_are_alarmed_for_both_rules(default: Synth) -> None:
    alarms = _alarms(default)
    for suffix, rule in (
        ("rule-parse-errors", "attempt_iot_rule_sensor_data"),
        ("rejected-rule-parse-errors", "attempt_iot_rule_sensor_data_rejected"),
    ):
        props = alarms[f"attempt-alarm-{suffix}"]
        assert props["MetricName"] == "ParseError"
        assert props["Dimensions"] == [{"Name": "RuleName", "Value": rule}]
