"""The level-1 stack: composes the constructs, wires their grants, and exports outputs.

Wio Terminal -> AWS IoT Core -> IoT rule -> DynamoDB -> Glue crawler / Data Catalog
-> Athena (through the Athena DynamoDB connector).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from wio_contract import names as n
from wio_contract.fields import CONTRACT, Contract
from infra.analytics import DEFAULT_CRAWLER_SCHEDULE, ConnectorSettings, SensorAnalytics
from infra.device_identity import DeviceIdentity
from infra.ingest import SensorIngest
from infra.monitoring import SensorMonitoring
from wio_contract.names import ResourceNames
from infra.nag import acknowledge
from infra.storage import SensorStorage

IOT_ENDPOINT_COMMAND = "aws iot describe-endpoint --endpoint-type iot:Data-ATS"
DEFAULT_RESULTS_RETENTION_DAYS = 30
DEFAULT_BYTES_SCANNED_CUTOFF = 1024 * 1024 * 1024  # 1 GiB per query
DEFAULT_RULE_ERROR_LOG_RETENTION_DAYS = 30

_RETENTION_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
LOG_RETENTION_DAY_CHOICES = tuple(sorted(_RETENTION_DAYS))


def log_retention(days: int) -> logs.RetentionDays:
    """CloudWatch Logs retention for a number of days CloudWatch accepts."""
    try:
        return _RETENTION_DAYS[days]
    except KeyError:
        raise ValueError(
            f"log retention must be one of {', '.join(map(str, LOG_RETENTION_DAY_CHOICES))} "
            f"days, not {days}"
        ) from None


@dataclass(frozen=True)
class StackSettings:
    """Every switch of the stack; ``app.py`` fills it from CDK context."""

    prefix: str = n.DEFAULT_PREFIX
    #: Days until DynamoDB TTL deletes a reading; None keeps data forever.
    retention_days: int | None = None
    #: Glue crawler schedule; None disables the schedule (run the crawler by hand).
    crawler_schedule: str | None = DEFAULT_CRAWLER_SCHEDULE
    results_retention_days: int = DEFAULT_RESULTS_RETENTION_DAYS
    athena_bytes_scanned_cutoff: int = DEFAULT_BYTES_SCANNED_CUTOFF
    dynamodb_connector: bool = True
    #: Keep the table and buckets on `cdk destroy` (RETAIN) instead of deleting them.
    retain_data: bool = False
    alarm_email: str | None = None
    quicksight_principal_arn: str | None = None
    #: Name of QuickSight's service role (path /service-role/) that gets the Athena policy.
    quicksight_service_role: str = n.QUICKSIGHT_SERVICE_ROLE
    rule_error_log_retention_days: int = DEFAULT_RULE_ERROR_LOG_RETENTION_DAYS
    #: The table's NEW_IMAGE stream, which the level-2 lake reads.
    table_stream: bool = True
    #: Deploying into the local emulator (MiniStack): no connector, no named queries and no
    #: auto-delete custom resource, which it cannot run.
    local: bool = False

    @property
    def connector_enabled(self) -> bool:
        return self.dynamodb_connector and not self.local

    @property
    def named_queries_enabled(self) -> bool:
        return self.connector_enabled and not self.local

    @property
    def removal_policy(self) -> cdk.RemovalPolicy:
        return cdk.RemovalPolicy.RETAIN if self.retain_data else cdk.RemovalPolicy.DESTROY

    @property
    def auto_delete_objects(self) -> bool:
        return not self.retain_data and not self.local


class IotMonitoringStack(cdk.Stack):
    """``<prefix>-iot-monitoring-stack``: the whole level-1 pipeline."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        contract: Contract = CONTRACT,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        names = ResourceNames(settings.prefix)
        self.resource_names = names
        removal = settings.removal_policy

        self.storage = SensorStorage(
            self,
            "Storage",
            names=names,
            removal_policy=removal,
            auto_delete_objects=settings.auto_delete_objects,
            ttl_enabled=settings.retention_days is not None,
            results_retention_days=settings.results_retention_days,
            stream=settings.table_stream,
        )
        table = self.storage.table

        self.ingest = SensorIngest(
            self,
            "Ingest",
            names=names,
            table_name=table.table_name,
            retention_days=settings.retention_days,
            contract=contract,
            error_log_retention=log_retention(settings.rule_error_log_retention_days),
            removal_policy=removal,
        )

        self.device_identity = DeviceIdentity(self, "DeviceIdentity", names=names)

        connector = (
            ConnectorSettings(
                spill_bucket=self.storage.spill_bucket,
                spill_prefix=self.storage.spill_prefix,
            )
            if settings.connector_enabled
            else None
        )
        self.analytics = SensorAnalytics(
            self,
            "Analytics",
            names=names,
            table_name=table.table_name,
            results_bucket=self.storage.results_bucket,
            results_prefix=self.storage.results_prefix,
            bytes_scanned_cutoff=settings.athena_bytes_scanned_cutoff,
            crawler_schedule=settings.crawler_schedule,
            connector=connector,
            named_queries=settings.named_queries_enabled,
            quicksight_principal_arn=settings.quicksight_principal_arn,
            quicksight_service_role=settings.quicksight_service_role,
            contract=contract,
            removal_policy=removal,
        )

        self.monitoring = SensorMonitoring(
            self,
            "Monitoring",
            names=names,
            table=table,
            rejected_queue=self.ingest.rejected_queue,
            rule_name=names.topic_rule,
            rejected_rule_name=names.rejected_topic_rule,
            alarm_email=settings.alarm_email,
            metrics_insights_alarms=not settings.local,
        )

        self._grant()
        self._outputs()

    def _grant(self) -> None:
        table = self.storage.table
        # IoT rules: the DynamoDBv2 action only calls PutItem.
        rule_role = self.ingest.role
        table.grant(rule_role, "dynamodb:PutItem")
        self.ingest.rejected_queue.grant_send_messages(rule_role)
        log_group = self.ingest.error_log_group
        log_group.grant_write(rule_role)
        # The IoT cloudwatchLogs action also describes the log streams it writes to.
        log_group.grant(rule_role, "logs:DescribeLogStreams")

        # AWS IoT checks that the role can act when the rule is created, so each rule waits
        # for the role's policy (the role itself is already referenced by RoleArn).
        self._depend_on_policy([self.ingest.topic_rule, self.ingest.rejected_topic_rule], rule_role)

        # Glue crawler: read the table's description and sample its items.
        table.grant(self.analytics.crawler_role, "dynamodb:DescribeTable", "dynamodb:Scan")

        connector_role = self.analytics.connector_role
        if connector_role is not None:
            table.grant(
                connector_role,
                "dynamodb:DescribeTable",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:PartiQLSelect",
            )
            connector_role.add_to_policy(
                iam.PolicyStatement(
                    sid="ListTablesForDefaultSchema",
                    actions=["dynamodb:ListTables"],
                    resources=["*"],
                )
            )
            spill = self.storage.spill_bucket
            spill.grant_read_write(connector_role, f"{self.storage.spill_prefix}/*")
            self._acknowledge_connector_grants(connector_role)
            assert self.analytics.connector_application is not None
            self._depend_on_policy([self.analytics.connector_application], connector_role)

    @staticmethod
    def _depend_on_policy(resources: list[cdk.CfnResource], role: iam.Role) -> None:
        policy = role.node.try_find_child("DefaultPolicy")
        assert policy is not None, "grant first"
        for resource in resources:
            resource.node.add_dependency(policy)

    def _acknowledge_connector_grants(self, role: iam.Role) -> None:
        spill_cfn = self.storage.spill_bucket.node.default_child
        assert isinstance(spill_cfn, cdk.CfnElement)
        spill_id = self.get_logical_id(spill_cfn)
        reasons = {
            "Resource::*": (
                "dynamodb:ListTables has no resource-level permissions; AWS requires '*'. The "
                "connector's 'default' schema lists tables to resolve names."
            ),
            f"Resource::<{spill_id}.Arn>/{self.storage.spill_prefix}/*": (
                "Spill objects are written under the connector's spill prefix with names made "
                "per query; access is limited to that prefix of this stack's spill bucket."
            ),
            "Action::s3:GetObject*": "CDK grant_read_write on the spill prefix only.",
            "Action::s3:GetBucket*": "CDK grant_read_write on the spill bucket only.",
            "Action::s3:List*": "CDK grant_read_write on the spill bucket only.",
            "Action::s3:DeleteObject*": "CDK grant_read_write on the spill prefix only.",
            "Action::s3:Abort*": "CDK grant_read_write on the spill prefix only.",
        }
        for applies_to, reason in reasons.items():
            acknowledge(role, f"AwsSolutions-IAM5[{applies_to}]", reason=reason)

    def _outputs(self) -> None:
        names = self.resource_names
        outputs: list[tuple[str, str, str]] = [
            (n.OUTPUT_TABLE, self.storage.table.table_name, "DynamoDB table of readings"),
            (n.OUTPUT_RULE, self.ingest.topic_rule.ref, "IoT rule that stores valid readings"),
            (
                n.OUTPUT_REJECTED_RULE,
                self.ingest.rejected_topic_rule.ref,
                "IoT rule that keeps refused messages",
            ),
            (
                n.OUTPUT_REJECTED_QUEUE_URL,
                self.ingest.rejected_queue.queue_url,
                "SQS dead-letter queue of refused messages",
            ),
            (
                n.OUTPUT_DEVICE_POLICY,
                self.device_identity.policy.ref,
                "IoT policy to attach to each device certificate",
            ),
            (
                n.OUTPUT_ERROR_LOG_GROUP,
                self.ingest.error_log_group.log_group_name,
                "CloudWatch Logs group of rule errors and refused messages",
            ),
            (n.OUTPUT_GLUE_DATABASE, names.glue_database, "Glue database"),
            (n.OUTPUT_GLUE_TABLE, names.glue_table, "Glue table the connector reads"),
            (n.OUTPUT_CRAWLER, self.analytics.crawler.ref, "Glue crawler"),
            (n.OUTPUT_WORKGROUP, self.analytics.workgroup.ref, "Athena workgroup"),
            (
                n.OUTPUT_RESULTS_BUCKET,
                self.storage.results_bucket.bucket_name,
                "S3 bucket of Athena query results",
            ),
            (
                n.OUTPUT_SPILL_BUCKET,
                self.storage.spill_bucket.bucket_name,
                "S3 spill bucket of the Athena DynamoDB connector",
            ),
            (
                n.OUTPUT_ENDPOINT_COMMAND,
                IOT_ENDPOINT_COMMAND,
                "Prints the IoT data endpoint the devices connect to",
            ),
        ]
        if self.analytics.data_catalog is not None:
            outputs.append(
                (
                    n.OUTPUT_DATA_CATALOG,
                    self.analytics.data_catalog.ref,
                    "Athena data catalog (DynamoDB connector)",
                )
            )
        if self.analytics.quicksight_policy is not None:
            outputs.append(
                (
                    n.OUTPUT_QUICKSIGHT_POLICY,
                    names.quicksight_policy,
                    "Managed policy attached to the QuickSight service role",
                )
            )
        for key, value, description in outputs:
            cdk.CfnOutput(self, key, value=value, description=description)
        if self.storage.table.table_stream_arn is not None:
            # Exported: the level-2 stack reads the readings through this stream.
            cdk.CfnOutput(
                self,
                n.OUTPUT_TABLE_STREAM,
                value=self.storage.table.table_stream_arn,
                description="DynamoDB stream (NEW_IMAGE) of the readings table, for level 2",
                export_name=names.table_stream_export,
            )
