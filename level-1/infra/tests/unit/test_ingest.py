"""IoT rules, the rejected-message queue, the error log group and the rules' role."""

from __future__ import annotations

from typing import Any

import pytest

from infra import ingest
from wio_contract.iot_sql import rejected_sql, sensor_data_sql
from synth_helpers import ACCOUNT, PARTITION, REGION, Synth, arn_join, get_att, policy_statements

pytestmark = pytest.mark.unit


def _rule(synth: Synth, rejected: bool = False) -> dict[str, Any]:
    rule = synth.stack.ingest.rejected_topic_rule if rejected else synth.stack.ingest.topic_rule
    return synth.props(rule)


def _where(sql: str) -> str:
    return sql.split(" WHERE ", 1)[1]


def test_ingest_documents_the_timestamp_decision() -> None:
    doc = ingest.__doc__ or ""
    assert "never" in doc and "dead-letter queue" in doc and "timestamp" in doc


# --- the synthesized rules --------------------------------------------------------------


def test_main_rule(default: Synth) -> None:
    props = _rule(default)
    table = default.logical_id(default.stack.storage.table)
    role = default.logical_id(default.stack.ingest.role)
    log_group = default.logical_id(default.stack.ingest.error_log_group)
    assert props["RuleName"] == "attempt_iot_rule_sensor_data"
    payload = props["TopicRulePayload"]
    assert payload["AwsIotSqlVersion"] == "2016-03-23"
    assert payload["RuleDisabled"] is False
    assert payload["Sql"] == sensor_data_sql()
    assert payload["Actions"] == [
        {"DynamoDBv2": {"PutItem": {"TableName": {"Ref": table}}, "RoleArn": get_att(role)}}
    ]
    assert payload["ErrorAction"] == {
        "CloudwatchLogs": {"LogGroupName": {"Ref": log_group}, "RoleArn": get_att(role)}
    }


def test_rejected_rule(default: Synth) -> None:
    props = _rule(default, rejected=True)
    queue = default.logical_id(default.stack.ingest.rejected_queue)
    role = default.logical_id(default.stack.ingest.role)
    log_group = default.logical_id(default.stack.ingest.error_log_group)
    assert props["RuleName"] == "attempt_iot_rule_sensor_data_rejected"
    payload = props["TopicRulePayload"]
    assert payload["AwsIotSqlVersion"] == "2016-03-23"
    assert payload["Sql"] == rejected_sql()
    assert payload["Actions"] == [
        {"Sqs": {"QueueUrl": {"Ref": queue}, "RoleArn": get_att(role), "UseBase64": False}},
        {"CloudwatchLogs": {"LogGroupName": {"Ref": log_group}, "RoleArn": get_att(role)}},
    ]
    assert payload["ErrorAction"] == {
        "CloudwatchLogs": {"LogGroupName": {"Ref": log_group}, "RoleArn": get_att(role)}
    }


def test_rule_sql_with_retention_and_prefix(custom: Synth) -> None:
    assert _rule(custom)["RuleName"] == "demo_iot_rule_sensor_data"
    assert _rule(custom)["TopicRulePayload"]["Sql"] == sensor_data_sql(retention_days=30)
    assert _rule(custom, rejected=True)["RuleName"] == "demo_iot_rule_sensor_data_rejected"


def test_rules_depend_on_their_role_policy(default: Synth) -> None:
    policy_ids = [
        logical_id
        for logical_id in default.resources("AWS::IAM::Policy")
        if logical_id.startswith("IngestTopicRuleRoleDefaultPolicy")
    ]
    assert len(policy_ids) == 1
    for rule in (default.stack.ingest.topic_rule, default.stack.ingest.rejected_topic_rule):
        resource = default.data["Resources"][default.logical_id(rule)]
        assert policy_ids[0] in resource["DependsOn"]


def test_error_log_group(default: Synth, custom: Synth) -> None:
    for synth, name, days in (
        (default, "/aws/iot/rule/attempt-iot-rule-sensor-data/errors", 30),
        (custom, "/aws/iot/rule/demo-iot-rule-sensor-data/errors", 90),
    ):
        assert synth.props(synth.stack.ingest.error_log_group) == {
            "LogGroupName": name,
            "RetentionInDays": days,
            "Tags": synth.props(synth.stack.ingest.error_log_group)["Tags"],
        }


def test_rejected_queue(default: Synth) -> None:
    queue = default.stack.ingest.rejected_queue
    props = default.props(queue)
    assert props["QueueName"] == "attempt-sqs-sensor-data-rejected"
    assert props["SqsManagedSseEnabled"] is True
    assert props["MessageRetentionPeriod"] == 14 * 24 * 3600
    queue_id = default.logical_id(queue)
    policies = [
        p
        for p in default.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    assert len(policies) == 1
    assert policies[0]["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "sqs:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": get_att(queue_id),
        }
    ]


def test_rule_role_trust_is_scoped_to_this_accounts_rules(default: Synth) -> None:
    role = default.props(default.stack.ingest.role)
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {
                    "aws:SourceArn": arn_join(
                        "arn:",
                        PARTITION,
                        ":iot:",
                        REGION,
                        ":",
                        ACCOUNT,
                        ":rule/attempt_iot_rule_sensor_data*",
                    )
                },
            },
            "Effect": "Allow",
            "Principal": {"Service": "iot.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in role


def test_rule_role_policy_is_exactly_what_the_actions_need(default: Synth) -> None:
    ingest_c = default.stack.ingest
    table = default.logical_id(default.stack.storage.table)
    queue = default.logical_id(ingest_c.rejected_queue)
    log_group = default.logical_id(ingest_c.error_log_group)
    assert policy_statements(default, ingest_c.role) == [
        {"Action": "dynamodb:PutItem", "Effect": "Allow", "Resource": get_att(table)},
        {
            "Action": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
            "Effect": "Allow",
            "Resource": get_att(queue),
        },
        {
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": get_att(log_group),
        },
    ]
