"""Ingest: the IoT topic rules that store valid readings and keep rejected ones.

Decision on messages without a valid numeric ``timestamp``: **they are refused, never
stored with a made-up time.** The ingest path does not fabricate a measurement time from the
server clock (that would silently mix arrival time with measurement time and could overwrite
another reading with the same key). Such a message, and any message whose sensor values are
out of range or not numeric, is matched by the second rule (``<rule>_rejected``), which

* sends it, base64-encoded with its topic, device id, client id and arrival time, to the
  SQS dead-letter queue ``<prefix>-sqs-sensor-data-rejected`` (kept 14 days), and
* writes the same record to the rule error log group.

The two rules use exact complements of one predicate (:func:`valid_message_predicate`),
so every message on ``device/+/data`` takes exactly one of the two paths; none vanishes.
Failures of either rule's actions go to the error log group through the rules'
``errorAction``.

The predicate is written for AWS IoT SQL's three-valued logic: it is always true or false,
never Undefined. ``x * 1`` is Undefined for a non-numeric ``x`` (``+`` would concatenate
strings), so each comparison is guarded by ``NOT isUndefined(x * 1)``.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_iot as iot
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.names import ResourceNames
from infra.nag import acknowledge

IOT_SQL_VERSION = "2016-03-23"
TOPIC_FILTER = "device/+/data"
#: 2020-01-01T00:00:00Z: readings before this come from a device without NTP time.
MIN_TIMESTAMP = 1577836800
#: A device clock may run ahead of the server by at most one day.
MAX_CLOCK_SKEW_SECONDS = 86400
#: Optional sensor fields and their accepted closed ranges (see sensor-payload.schema.json).
SENSOR_RANGES: dict[str, tuple[int, int]] = {
    "temperature": (-40, 125),
    "humidity": (0, 100),
    "light": (0, 1023),
}
DLQ_RETENTION = cdk.Duration.days(14)


def _optional_in_range(field: str, low: int, high: int) -> str:
    return (
        f"(isUndefined({field}) OR (NOT isUndefined({field} * 1) "
        f"AND {field} * 1 >= {low} AND {field} * 1 <= {high}))"
    )


def valid_message_predicate() -> str:
    """The IoT SQL condition a message must meet to be stored. Always true or false.

    ``timestamp`` is required and numeric, in epoch seconds, between 2020-01-01 and one day
    after the server's clock (``timestamp()`` is epoch milliseconds). Each sensor field is
    either absent or numeric within its range.
    """
    parts = [
        "NOT isUndefined(timestamp * 1)",
        f"timestamp * 1 >= {MIN_TIMESTAMP}",
        f"timestamp * 1 <= timestamp() / 1000 + {MAX_CLOCK_SKEW_SECONDS}",
    ]
    parts += [_optional_in_range(field, low, high) for field, (low, high) in SENSOR_RANGES.items()]
    return " AND ".join(parts)


def sensor_data_sql(*, retention_days: int | None = None) -> str:
    """SQL of the main rule: valid messages, normalised, with server-side fields.

    ``device_id`` is always ``topic(2)``, the thing name the device policy authenticated;
    a ``device_id`` claimed in the payload is overwritten. ``received_at`` is the server's
    epoch milliseconds. With ``retention_days``, ``expires_at`` (epoch SECONDS, for DynamoDB
    TTL) is set that many days after arrival.
    """
    columns = [
        "*",
        "topic(2) AS device_id",
        "timestamp * 1 AS timestamp",
        "temperature * 1 AS temperature",
        "humidity * 1 AS humidity",
        "light * 1 AS light",
        "timestamp() AS received_at",
    ]
    if retention_days is not None:
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        columns.append(f"timestamp() / 1000 + {retention_days * 86400} AS expires_at")
    return (
        f"SELECT {', '.join(columns)} FROM '{TOPIC_FILTER}' " f"WHERE {valid_message_predicate()}"
    )


def rejected_sql() -> str:
    """SQL of the rejected-message rule: the exact complement of the main rule's WHERE."""
    columns = [
        "encode(*, 'base64') AS payload_base64",
        "topic() AS topic",
        "topic(2) AS device_id",
        "clientid() AS client_id",
        "timestamp() AS received_at",
    ]
    return (
        f"SELECT {', '.join(columns)} FROM '{TOPIC_FILTER}' "
        f"WHERE NOT ({valid_message_predicate()})"
    )


class SensorIngest(Construct):
    """IoT rules (store / reject), the rejected-message queue, error log group and IoT role.

    The role starts empty; the stack grants it exactly what the actions need
    (``grant_*`` on the table, queue and log group).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        table_name: str,
        retention_days: int | None = None,
        error_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)

        self.error_log_group = logs.LogGroup(
            self,
            "RuleErrorLogGroup",
            log_group_name=names.rule_error_log_group,
            retention=error_log_retention,
            removal_policy=removal_policy,
        )

        self.rejected_queue = sqs.Queue(
            self,
            "RejectedQueue",
            queue_name=names.rejected_queue,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
            removal_policy=removal_policy,
        )
        acknowledge(
            self.rejected_queue,
            "AwsSolutions-SQS3",
            reason=(
                "This queue is itself the dead-letter queue of the IoT rule for rejected "
                "sensor messages; it is read by people and tools, not redriven."
            ),
        )

        rule_arn_prefix = (
            f"arn:{cdk.Aws.PARTITION}:iot:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
            f":rule/{names.topic_rule}"
        )
        # Confused-deputy guard: only this account's rules of this stack may assume the role.
        self.role = iam.Role(
            self,
            "TopicRuleRole",
            description=f"Lets the {names.topic_rule}* IoT rules write their actions",
            assumed_by=iam.ServicePrincipal(
                "iot.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": f"{rule_arn_prefix}*"},
                },
            ),
        )

        error_action = iot.CfnTopicRule.ActionProperty(
            cloudwatch_logs=iot.CfnTopicRule.CloudwatchLogsActionProperty(
                log_group_name=self.error_log_group.log_group_name,
                role_arn=self.role.role_arn,
            )
        )

        self.sensor_data_sql = sensor_data_sql(retention_days=retention_days)
        self.topic_rule = iot.CfnTopicRule(
            self,
            "SensorDataRule",
            rule_name=names.topic_rule,
            topic_rule_payload=iot.CfnTopicRule.TopicRulePayloadProperty(
                description="Stores valid Wio Terminal readings in DynamoDB",
                sql=self.sensor_data_sql,
                aws_iot_sql_version=IOT_SQL_VERSION,
                rule_disabled=False,
                actions=[
                    iot.CfnTopicRule.ActionProperty(
                        dynamo_d_bv2=iot.CfnTopicRule.DynamoDBv2ActionProperty(
                            put_item=iot.CfnTopicRule.PutItemInputProperty(table_name=table_name),
                            role_arn=self.role.role_arn,
                        )
                    )
                ],
                error_action=error_action,
            ),
        )

        self.rejected_sql = rejected_sql()
        self.rejected_topic_rule = iot.CfnTopicRule(
            self,
            "RejectedDataRule",
            rule_name=names.rejected_topic_rule,
            topic_rule_payload=iot.CfnTopicRule.TopicRulePayloadProperty(
                description=(
                    "Keeps messages the sensor-data rule refuses (no valid numeric timestamp, "
                    "out-of-range or non-numeric values) in the dead-letter queue and error log"
                ),
                sql=self.rejected_sql,
                aws_iot_sql_version=IOT_SQL_VERSION,
                rule_disabled=False,
                actions=[
                    iot.CfnTopicRule.ActionProperty(
                        sqs=iot.CfnTopicRule.SqsActionProperty(
                            queue_url=self.rejected_queue.queue_url,
                            role_arn=self.role.role_arn,
                            use_base64=False,
                        )
                    ),
                    iot.CfnTopicRule.ActionProperty(
                        cloudwatch_logs=iot.CfnTopicRule.CloudwatchLogsActionProperty(
                            log_group_name=self.error_log_group.log_group_name,
                            role_arn=self.role.role_arn,
                        )
                    ),
                ],
                error_action=error_action,
            ),
        )
