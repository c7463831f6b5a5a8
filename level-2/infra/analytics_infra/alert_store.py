"""Where alerts and detector state live: the alerts table, the state table, the SNS topic.

* ``<prefix>-dynamodb-sensor-alerts``: one row per (device_id, ts) alert (the level-1
  dashboard reads it).
* ``<prefix>-dynamodb-sensor-detector-state``: one item per device, the detector's learned
  baselines, incidents/cooldowns and the read checkpoint.
* ``<prefix>-sns-sensor-alerts``: people's notifications (optional e-mail subscription); the
  stack's CloudWatch alarms notify it as well.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.nag import acknowledge
from wio_contract.names import ResourceNames


def state_table_name(names: ResourceNames) -> str:
    """Not in wio_contract.names (the maintainer owns it); level 2 alone uses this table."""
    return f"{names.prefix}-dynamodb-sensor-detector-state"


def table(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    sort_key: str | None,
    removal_policy: cdk.RemovalPolicy,
    ttl: str | None = None,
) -> dynamodb.Table:
    return dynamodb.Table(
        scope,
        construct_id,
        table_name=name,
        partition_key=dynamodb.Attribute(name="device_id", type=dynamodb.AttributeType.STRING),
        sort_key=(
            dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.NUMBER)
            if sort_key
            else None
        ),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=ttl,
        removal_policy=removal_policy,
    )


class AlertStore(Construct):
    """``alerts``, ``state`` (tables) and ``topic``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        alert_email: str | None,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alerts = table(
            self, "AlertsTable", name=names.alerts_table, sort_key="ts",
            removal_policy=removal_policy,
        )  # fmt: skip
        self.state = table(
            self, "StateTable", name=state_table_name(names), sort_key=None,
            removal_policy=removal_policy,
        )  # fmt: skip
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=names.alerts_sns_topic,
            display_name="Wio Terminal alerts",
            enforce_ssl=True,
        )
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            reason=(
                "Messages hold a device id and one reading, no personal data. CloudWatch "
                "alarms cannot publish to a topic encrypted with the AWS managed SNS key, and a "
                "customer managed key costs a fixed monthly fee in a stack for a few devices."
            ),
        )
        if alert_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alert_email))
