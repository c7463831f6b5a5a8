"""Ingest: the IoT topic rules that store valid readings and keep rejected ones.

The rule SQL is rendered from the payload contract (``wio_contract.iot_sql``, where the
predicate's design and its one open question on AWS are explained). In short:

* the main rule ``<prefix>_iot_rule_sensor_data`` stores a valid reading, with an explicit
  column list (no ``*``), ``device_id`` from the topic, ``received_at``, ``expires_at`` (TTL,
  epoch seconds) and ``raw_payload`` (the message as published, base64);
* the rejected rule ``<prefix>_iot_rule_sensor_data_rejected`` uses the exact complement of
  the main rule's WHERE and sends the message, base64-encoded with its topic, device id, client
  id and arrival time, to the SQS dead-letter queue ``<prefix>-sqs-sensor-data-rejected``
  (kept 14 days) and the rule error log group.

A message without a valid numeric ``timestamp`` is refused, never stored with a made-up time:
that would mix arrival time with measurement time and could overwrite another reading with the
same key. Failures of either rule's actions go to the error log group (``errorAction``).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_iot as iot
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge
from wio_contract.fields import CONTRACT, Contract
from wio_contract.iot_sql import IOT_SQL_VERSION, rejected_sql, sensor_data_sql
from wio_contract.names import ResourceNames

DLQ_RETENTION = cdk.Duration.days(14)


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
        contract: Contract = CONTRACT,
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

        self.sensor_data_sql = sensor_data_sql(contract, retention_days=retention_days)
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

        self.rejected_sql = rejected_sql(contract)
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
