"""Anomaly detection: the scheduled detector and the nightly baseline rebuild.

Both read the level-1 table by key (``dynamodb:Query`` only) and list devices from the IoT
registry. The detector publishes retained alerts only to ``device/*/alerts`` (``iot:Publish``
and ``iot:RetainPublish``: AWS IoT checks both for a message with the RETAIN flag, see the
developer guide's "Retained message policy examples"), publishes to its SNS topic, and writes
its state and alert tables.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from analytics_infra.alert_store import AlertStore
from analytics_infra.functions import PythonFunction, Schedule
from infra.nag import acknowledge
from wio_contract.names import ALERTS_TOPIC, ResourceNames


def readings_table_arn(names: ResourceNames) -> str:
    return (
        f"arn:{cdk.Aws.PARTITION}:dynamodb:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
        f":table/{names.table}"
    )


def alerts_topic_arn() -> str:
    topic = ALERTS_TOPIC.format(thing="*")
    return f"arn:{cdk.Aws.PARTITION}:iot:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:topic/{topic}"


def grant_device_reads(role: iam.IRole, names: ResourceNames) -> None:
    """Query the level-1 table and list/describe things (registry calls take '*')."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="QueryReadings", actions=["dynamodb:Query"], resources=[readings_table_arn(names)]
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="DeviceRegistry", actions=["iot:ListThings", "iot:DescribeThing"], resources=["*"]
        )
    )


REGISTRY_REASON = (
    "iot:ListThings has no resource-level permissions and iot:DescribeEndpoint neither (AWS "
    "requires '*'); the device list comes from the registry. iot:DescribeThing is read-only."
)


class Detection(Construct):
    """``detector`` and ``baseline`` functions and their schedules."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        store: AlertStore,
        code: lambda_.Code,
        detector_schedule: str,
        baseline_schedule: str,
        baseline_days: int,
        cooldown_hours: int,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        environment = {
            "READINGS_TABLE": names.table,
            "STATE_TABLE": store.state.table_name,
            "ALERTS_TABLE": store.alerts.table_name,
            "ALERTS_TOPIC_ARN": store.topic.topic_arn,
            "BASELINE_DAYS": str(baseline_days),
            "ALERT_COOLDOWN_SECONDS": str(cooldown_hours * 3600),
        }
        self.detector = PythonFunction(
            self,
            "Detector",
            code=code,
            handler="wio_lake_functions.detector.handler",
            description="Anomaly detector: new readings per device -> alerts",
            environment=environment,
            timeout=cdk.Duration.minutes(5),
            memory_size=512,
            removal_policy=removal_policy,
        )
        self.baseline = PythonFunction(
            self,
            "Baseline",
            code=code,
            handler="wio_lake_functions.baseline.handler",
            description="Nightly baseline rebuild from the last days of readings",
            environment=environment,
            timeout=cdk.Duration.minutes(15),
            memory_size=1024,
            removal_policy=removal_policy,
        )
        for fn in (self.detector, self.baseline):
            grant_device_reads(fn.role, names)
            store.state.grant(fn.role, "dynamodb:GetItem", "dynamodb:PutItem")
            acknowledge(fn.role, "AwsSolutions-IAM5[Resource::*]", reason=REGISTRY_REASON)
        role = self.detector.role
        store.alerts.grant(role, "dynamodb:PutItem")
        store.topic.grant_publish(role)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PublishRetainedAlerts",
                actions=["iot:Publish", "iot:RetainPublish"],
                resources=[alerts_topic_arn()],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DataEndpoint", actions=["iot:DescribeEndpoint"], resources=["*"]
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:"
            "<AWS::AccountId>:topic/device/*/alerts]",
            reason=(
                "One alerts topic per device (device/<thing>/alerts); the wildcard stands for "
                "the thing name only, at that topic level, and covers nothing else."
            ),
        )
        self.detector_schedule = Schedule(
            self,
            "DetectorSchedule",
            name=f"{names.prefix}-scheduler-anomaly-detector",
            expression=detector_schedule,
            target=self.detector.function,
            description="Runs the anomaly detector",
        )
        self.baseline_schedule = Schedule(
            self,
            "BaselineSchedule",
            name=f"{names.prefix}-scheduler-baseline-rebuild",
            expression=baseline_schedule,
            target=self.baseline.function,
            description="Rebuilds detector baselines (default 03:00 JST)",
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "DetectorErrorsAlarm",
            alarm_description="The anomaly detector failed (see its log group)",
            metric=self.detector.function.metric_errors(period=cdk.Duration.minutes(15)),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cw_actions.SnsAction(store.topic))
