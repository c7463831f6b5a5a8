"""Every resource name, derived from one prefix.

Part of the contract (no CDK import), so the CDK apps of both levels, the tools and the tests
share one spelling of every name. The defaults are the names the original README's commands use.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "attempt"
#: The project's home region, used when neither an argument, the environment nor the AWS
#: profile names one (Tokyo: most users are in Japan).
DEFAULT_REGION = "ap-northeast-1"

# Keys of the stack's CloudFormation outputs; tools look resources up through them.
OUTPUT_TABLE = "TableName"
OUTPUT_RULE = "TopicRuleName"
OUTPUT_REJECTED_RULE = "RejectedTopicRuleName"
OUTPUT_REJECTED_QUEUE_URL = "RejectedQueueUrl"
OUTPUT_DEVICE_POLICY = "DevicePolicyName"
OUTPUT_ERROR_LOG_GROUP = "RuleErrorLogGroupName"
OUTPUT_GLUE_DATABASE = "GlueDatabaseName"
OUTPUT_GLUE_TABLE = "GlueTableName"
OUTPUT_TABLE_STREAM = "TableStreamArn"
OUTPUT_CRAWLER = "CrawlerName"
OUTPUT_WORKGROUP = "AthenaWorkGroupName"
OUTPUT_RESULTS_BUCKET = "AthenaResultsBucketName"
OUTPUT_SPILL_BUCKET = "AthenaSpillBucketName"
OUTPUT_DATA_CATALOG = "AthenaDataCatalogName"
OUTPUT_ENDPOINT_COMMAND = "IotEndpointCommand"
OUTPUT_QUICKSIGHT_POLICY = "QuickSightPolicyName"

#: The role QuickSight creates at sign-up and reads AWS data sources as; name and path as in
#: https://aws.amazon.com/premiumsupport/knowledge-center/quicksight-permission-errors/
QUICKSIGHT_SERVICE_ROLE = "aws-quicksight-service-role-v0"
QUICKSIGHT_SERVICE_ROLE_PATH = "/service-role/"


@dataclass(frozen=True)
class ResourceNames:
    """Names of everything the level-1 stack creates, for one prefix."""

    prefix: str = DEFAULT_PREFIX

    @property
    def stack(self) -> str:
        return f"{self.prefix}-iot-monitoring-stack"

    @property
    def table(self) -> str:
        return f"{self.prefix}-dynamodb-sensor-data"

    @property
    def topic_rule(self) -> str:
        # IoT rule names allow only [a-zA-Z0-9_].
        return f"{self.prefix}_iot_rule_sensor_data".replace("-", "_")

    @property
    def rejected_topic_rule(self) -> str:
        return f"{self.topic_rule}_rejected"

    @property
    def rule_error_log_group(self) -> str:
        return f"/aws/iot/rule/{self.prefix}-iot-rule-sensor-data/errors"

    @property
    def rejected_queue(self) -> str:
        return f"{self.prefix}-sqs-sensor-data-rejected"

    @property
    def device_policy(self) -> str:
        return f"{self.prefix}-iot-policy-device"

    @property
    def glue_database(self) -> str:
        return f"{self.prefix}-glue-database-sensor"

    @property
    def crawler(self) -> str:
        return f"{self.prefix}-glue-crawler-sensor-data"

    @property
    def glue_table(self) -> str:
        """The Glue table the connector reads (defined in CDK, typed from the contract).

        It has the name the crawler would give the table (the crawler turns '-' into '_'),
        so the original README's ``"<database>"."<table>"`` names lead to it.
        """
        return self.table.replace("-", "_")

    @property
    def workgroup(self) -> str:
        return f"{self.prefix}-athena-workgroup-sensor"

    @property
    def data_catalog(self) -> str:
        return f"{self.prefix}-athena-catalog-dynamodb"

    @property
    def quicksight_data_source(self) -> str:
        """Id of the QuickSight Athena data source (with context quicksight_principal_arn)."""
        return f"{self.prefix}-athena-sensor"

    @property
    def quicksight_policy(self) -> str:
        """Managed policy attached to the QuickSight service role for the connector path."""
        return f"{self.prefix}-quicksight-athena-access"

    def results_bucket(self, account: str, region: str) -> str:
        return f"{self.prefix}-s3-athena-results-{account}-{region}"

    def spill_bucket(self, account: str, region: str) -> str:
        return f"{self.prefix}-s3-athena-spill-{account}-{region}"

    # ---- level 2 (the analytics stack, deployed on top of this one) ----------------------
    @property
    def analytics_stack(self) -> str:
        return f"{self.prefix}-iot-analytics-stack"

    @property
    def table_stream_export(self) -> str:
        """CloudFormation export of the level-1 table's stream ARN (level 2 imports it)."""
        return f"{self.prefix}-table-stream-arn"

    @property
    def lake_database(self) -> str:
        # Athena DDL accepts no '-' in database names (see NOTES.md): underscores only.
        return f"{self.prefix}_lake".replace("-", "_")

    @property
    def lake_table(self) -> str:
        return "readings"

    @property
    def lake_delivery_stream(self) -> str:
        return f"{self.prefix}-firehose-sensor-lake"

    @property
    def alerts_table(self) -> str:
        return f"{self.prefix}-dynamodb-sensor-alerts"

    @property
    def forecast_table(self) -> str:
        return f"{self.prefix}-dynamodb-sensor-forecast"

    @property
    def alerts_sns_topic(self) -> str:
        return f"{self.prefix}-sns-sensor-alerts"

    def lake_bucket(self, account: str, region: str) -> str:
        return f"{self.prefix}-s3-sensor-lake-{account}-{region}"

    @staticmethod
    def device_topic(thing_name: str) -> str:
        return DEVICE_TOPIC.format(thing=thing_name)

    @staticmethod
    def alerts_topic(thing_name: str) -> str:
        return ALERTS_TOPIC.format(thing=thing_name)


#: Where a device publishes readings, and the filter the rules listen on (thing = level 2).
DEVICE_TOPIC = "device/{thing}/data"
TOPIC_FILTER = "device/+/data"
#: Where the level-2 detector publishes a device's alerts (retained).
ALERTS_TOPIC = "device/{thing}/alerts"
#: IoT SQL: the topic level that holds the thing name (topic(2) in device/<thing>/data).
THING_TOPIC_LEVEL = 2
