"""IoT rules, the rejected-message queue, the error log group and the rules' role."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra import ingest
from wio_contract.iot_sql import rejected_sql, sensor_data_sql, valid_message_predicate
from synth_helpers import ACCOUNT, PARTITION, REGION, Synth, arn_join, get_att, policy_statements

pytestmark = pytest.mark.unit

SCHEMA = Path(__file__).resolve().parents[3] / "schema" / "sensor-payload.schema.json"

EXPECTED_VALID = (
    "NOT isUndefined(timestamp * 1) AND timestamp * 1 >= 1577836800 "
    "AND timestamp * 1 <= timestamp() / 1000 + 86400 "
    "AND (isUndefined(temperature) OR (NOT isUndefined(temperature * 1) "
    "AND temperature * 1 >= -40 AND temperature * 1 <= 125)) "
    "AND (isUndefined(humidity) OR (NOT isUndefined(humidity * 1) "
    "AND humidity * 1 >= 0 AND humidity * 1 <= 100)) "
    "AND (isUndefined(light) OR (NOT isUndefined(light * 1) "
    "AND light * 1 >= 0 AND light * 1 <= 1023))"
)
EXPECTED_SELECT = (
    "SELECT *, topic(2) AS device_id, timestamp * 1 AS timestamp, "
    "temperature * 1 AS temperature, humidity * 1 AS humidity, light * 1 AS light, "
    "timestamp() AS received_at"
)


def _rule(synth: Synth, rejected: bool = False) -> dict[str, Any]:
    rule = synth.stack.ingest.rejected_topic_rule if rejected else synth.stack.ingest.topic_rule
    return synth.props(rule)


def _where(sql: str) -> str:
    return sql.split(" WHERE ", 1)[1]


# --- the predicate -------------------------------------------------------------------


def test_valid_predicate_text() -> None:
    assert valid_message_predicate() == EXPECTED_VALID


def test_predicate_never_uses_plus_or_is_number() -> None:
    # `+` would concatenate strings; MiniStack has no isNumber().
    predicate = valid_message_predicate()
    assert "isNumber" not in predicate
    assert "+" not in predicate.replace("timestamp() / 1000 + 86400", "")


def test_every_comparison_is_guarded_against_undefined() -> None:
    """Each `x * 1 <op> n` comes after `NOT isUndefined(x * 1)`: the result is never Undefined."""
    predicate = valid_message_predicate()
    for field in ("timestamp", "temperature", "humidity", "light"):
        first_compare = re.search(rf"{field} \* 1 [<>]=", predicate)
        guard = predicate.find(f"NOT isUndefined({field} * 1)")
        assert first_compare is not None and 0 <= guard < first_compare.start(), field
    for field in ("temperature", "humidity", "light"):
        assert f"(isUndefined({field}) OR (NOT isUndefined({field} * 1) AND " in predicate


def test_ranges_match_the_payload_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    properties = schema["properties"]
    for field, (low, high) in ingest.SENSOR_RANGES.items():
        assert (properties[field]["minimum"], properties[field]["maximum"]) == (low, high)
    assert properties["timestamp"]["minimum"] == ingest.MIN_TIMESTAMP
    assert "timestamp" in schema["required"]


def test_rules_are_exact_complements() -> None:
    main_where = _where(sensor_data_sql())
    rejected_where = _where(rejected_sql())
    assert main_where == EXPECTED_VALID
    assert rejected_where == f"NOT ({EXPECTED_VALID})"
    assert sensor_data_sql().split(" WHERE ")[0].endswith("FROM 'device/+/data'")
    assert rejected_sql().split(" WHERE ")[0].endswith("FROM 'device/+/data'")


def test_sensor_sql_without_and_with_retention() -> None:
    assert sensor_data_sql() == f"{EXPECTED_SELECT} FROM 'device/+/data' WHERE {EXPECTED_VALID}"
    assert sensor_data_sql(retention_days=30) == (
        f"{EXPECTED_SELECT}, timestamp() / 1000 + 2592000 AS expires_at "
        f"FROM 'device/+/data' WHERE {EXPECTED_VALID}"
    )
    with pytest.raises(ValueError):
        sensor_data_sql(retention_days=0)


def test_rejected_sql_keeps_the_whole_message() -> None:
    assert rejected_sql() == (
        "SELECT encode(*, 'base64') AS payload_base64, topic() AS topic, "
        "topic(2) AS device_id, clientid() AS client_id, timestamp() AS received_at "
        f"FROM 'device/+/data' WHERE NOT ({EXPECTED_VALID})"
    )


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
