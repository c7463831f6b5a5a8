"""Each construct on its own: default props, every prop overridden, and stack-level invariants.

The stack tests (test_storage.py, test_ingest.py, ...) see the constructs only through
``IotMonitoringStack``, which always passes its own values. Here each construct is built
directly in a small stack of one shared ``cdk.App`` (jsii is slow to start, so everything is
built once per module): once with only the required arguments, so the construct's *own*
defaults are what is checked, and once with every optional argument set to a non-default
value, including combinations the stack never produces (PITR off, RETAIN with
``auto_delete_objects=True``, a connector without named queries, e-mail alarms with plain
metrics, ...). What the stack tests already assert (names, exact SQL, exact IAM statements,
bucket encryption and TLS in every variant) is not repeated.

The last tests are invariants over the whole default stack that no single-resource test
states: every log group expires, every queue is encrypted and TLS-only, every role is
assumable only by an AWS service, no resource policy allows anyone, every rule has an error
action and every output is described.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from constructs import Construct

from infra.analytics import (
    DEFAULT_CRAWLER_SCHEDULE,
    MIN_BYTES_SCANNED_CUTOFF,
    ConnectorSettings,
    SensorAnalytics,
)
from infra.device_identity import DeviceIdentity
from infra.ingest import SensorIngest
from wio_contract.iot_sql import sensor_data_sql
from infra.monitoring import SensorMonitoring
from wio_contract.names import ResourceNames
from infra.storage import SensorStorage
from synth_helpers import Synth, cdk_json_context, get_att, ref

pytestmark = pytest.mark.unit

ENV = cdk.Environment(account="123456789012", region="ap-northeast-1")
NAMES = ResourceNames()
OTHER = ResourceNames("ovr")
TABLE_NAME = "imported-sensor-table"
RESULTS_BUCKET = "imported-results-bucket"
SPILL_BUCKET = "imported-spill-bucket"
QUEUE_ARN = f"arn:aws:sqs:{ENV.region}:{ENV.account}:imported-rejected-queue"
QUICKSIGHT_ARN = f"arn:aws:quicksight:{ENV.region}:{ENV.account}:user/default/someone"
QUICKSIGHT_ROLE = "ovr-quicksight-role"
ALARM_EMAIL = "oncall@example.com"
ALARM_KEYS = {
    "RuleActionFailure",
    "RuleErrorActionFailure",
    "RejectedRuleActionFailure",
    "RejectedRuleErrorActionFailure",
    "RuleThrottled",
    "RejectedMessages",
    "TableSystemErrors",
    "TableThrottles",
    "RuleParseErrors",
    "RejectedRuleParseErrors",
}


@dataclass(frozen=True)
class Case:
    """One construct in its own stack, synthesized."""

    stack: cdk.Stack
    construct: Any
    template: Template
    data: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.data["Resources"].items()
            if resource["Type"] == resource_type
        }

    def types(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self.data["Resources"].values():
            counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
        return counts

    def logical_id(self, construct: Any) -> str:
        node = construct.node
        target = node.default_child if node.default_child is not None else construct
        return str(self.stack.get_logical_id(target))

    def resource(self, construct: Any) -> dict[str, Any]:
        resource: dict[str, Any] = self.data["Resources"][self.logical_id(construct)]
        return resource

    def props(self, construct: Any) -> dict[str, Any]:
        props: dict[str, Any] = self.resource(construct).get("Properties", {})
        return props


@dataclass(frozen=True)
class Built:
    app: cdk.App
    cases: dict[str, Case]

    def __getitem__(self, name: str) -> Case:
        return self.cases[name]


def _stack(app: cdk.App, name: str) -> cdk.Stack:
    return cdk.Stack(
        app,
        name,
        env=ENV,
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )


def _build(app: cdk.App) -> dict[str, Construct]:
    """Every construct under test, each in its own stack; keyed by case name."""
    built: dict[str, Construct] = {}

    built["storage_default"] = SensorStorage(_stack(app, "StorageDefault"), "Storage", names=NAMES)
    built["storage_overrides"] = SensorStorage(
        _stack(app, "StorageOverrides"),
        "Storage",
        names=OTHER,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        auto_delete_objects=False,
        ttl_enabled=True,
        results_retention_days=7,
        point_in_time_recovery=False,
    )
    # RETAIN with the default auto_delete_objects=True: the construct must drop auto-delete
    # (CDK raises on auto-delete with RETAIN, so a broken guard fails this fixture).
    built["storage_retain"] = SensorStorage(
        _stack(app, "StorageRetain"),
        "Storage",
        names=NAMES,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )

    built["ingest_default"] = SensorIngest(
        _stack(app, "IngestDefault"), "Ingest", names=NAMES, table_name=TABLE_NAME
    )
    built["ingest_overrides"] = SensorIngest(
        _stack(app, "IngestOverrides"),
        "Ingest",
        names=OTHER,
        table_name=TABLE_NAME,
        retention_days=3,
        error_log_retention=logs.RetentionDays.TWO_WEEKS,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )

    # DeviceIdentity has no optional props; its only input (the prefix) is covered by the
    # stack's custom variant.
    built["identity_default"] = DeviceIdentity(
        _stack(app, "IdentityDefault"), "DeviceIdentity", names=NAMES
    )

    stack = _stack(app, "AnalyticsDefault")
    built["analytics_default"] = SensorAnalytics(
        stack,
        "Analytics",
        names=NAMES,
        table_name=TABLE_NAME,
        results_bucket=s3.Bucket.from_bucket_name(stack, "Results", RESULTS_BUCKET),
        results_prefix="results",
        bytes_scanned_cutoff=1024**3,
    )
    stack = _stack(app, "AnalyticsOverrides")
    built["analytics_overrides"] = SensorAnalytics(
        stack,
        "Analytics",
        names=OTHER,
        table_name=TABLE_NAME,
        results_bucket=s3.Bucket.from_bucket_name(stack, "Results", RESULTS_BUCKET),
        results_prefix="query-results",
        bytes_scanned_cutoff=MIN_BYTES_SCANNED_CUTOFF,  # the smallest accepted value
        crawler_schedule=None,
        connector=ConnectorSettings(
            spill_bucket=s3.Bucket.from_bucket_name(stack, "Spill", SPILL_BUCKET),
            spill_prefix="spill-here",
            lambda_timeout_seconds=300,
            lambda_memory_mb=1024,
            log_retention=logs.RetentionDays.ONE_WEEK,
        ),
        named_queries=False,
        quicksight_principal_arn=QUICKSIGHT_ARN,
        quicksight_service_role=QUICKSIGHT_ROLE,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    # QuickSight without a connector (a combination the app allows): results bucket only.
    stack = _stack(app, "AnalyticsQuickSightOnly")
    built["analytics_quicksight_only"] = SensorAnalytics(
        stack,
        "Analytics",
        names=NAMES,
        table_name=TABLE_NAME,
        results_bucket=s3.Bucket.from_bucket_name(stack, "Results", RESULTS_BUCKET),
        results_prefix="results",
        bytes_scanned_cutoff=1024**3,
        quicksight_principal_arn=QUICKSIGHT_ARN,
    )

    def monitoring(name: str, **overrides: Any) -> SensorMonitoring:
        stack = _stack(app, name)
        return SensorMonitoring(
            stack,
            "Monitoring",
            names=NAMES,
            table=dynamodb.Table.from_table_name(stack, "Table", TABLE_NAME),
            rejected_queue=sqs.Queue.from_queue_arn(stack, "Queue", QUEUE_ARN),
            rule_name=NAMES.topic_rule,
            rejected_rule_name=NAMES.rejected_topic_rule,
            **overrides,
        )

    built["monitoring_default"] = monitoring("MonitoringDefault")
    built["monitoring_overrides"] = monitoring(
        "MonitoringOverrides", alarm_email=ALARM_EMAIL, metrics_insights_alarms=False
    )
    return built


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    app = cdk.App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("constructs-out")))
    cases: dict[str, Case] = {}
    for name, construct in _build(app).items():
        stack = cdk.Stack.of(construct)
        template = Template.from_stack(stack)
        cases[name] = Case(stack, construct, template, dict(template.to_json()))
    return Built(app, cases)


# --- SensorStorage -----------------------------------------------------------------------


def test_storage_defaults(built: Built) -> None:
    case = built["storage_default"]
    storage: SensorStorage = case.construct
    table = case.resource(storage.table)
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}
    assert "TimeToLiveSpecification" not in table["Properties"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Delete", "Delete")
    for bucket in (storage.results_bucket, storage.spill_bucket, storage.access_logs_bucket):
        assert case.resource(bucket)["DeletionPolicy"] == "Delete"
    # DESTROY + auto-delete: one custom resource per bucket, so `cdk destroy` empties them.
    deleters = case.resources("Custom::S3AutoDeleteObjects")
    assert sorted(d["Properties"]["BucketName"]["Ref"] for d in deleters.values()) == sorted(
        case.logical_id(b)
        for b in (storage.results_bucket, storage.spill_bucket, storage.access_logs_bucket)
    )
    rules = case.props(storage.results_bucket)["LifecycleConfiguration"]["Rules"]
    assert [(r["Id"], r["ExpirationInDays"]) for r in rules] == [("expire-after-30-days", 30)]


def test_storage_overrides_change_the_template(built: Built) -> None:
    case = built["storage_overrides"]
    storage: SensorStorage = case.construct
    table = case.resource(storage.table)
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": False
    }
    assert table["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }
    assert table["Properties"]["TableName"] == "ovr-dynamodb-sensor-data"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    for bucket in case.resources("AWS::S3::Bucket").values():
        assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert case.resources("Custom::S3AutoDeleteObjects") == {}
    assert case.resources("AWS::Lambda::Function") == {}
    rules = case.props(storage.results_bucket)["LifecycleConfiguration"]["Rules"]
    assert [(r["Id"], r["ExpirationInDays"]) for r in rules] == [("expire-after-7-days", 7)]
    # Only the results bucket follows results_retention_days.
    spill_rules = case.props(storage.spill_bucket)["LifecycleConfiguration"]["Rules"]
    assert [r["ExpirationInDays"] for r in spill_rules] == [1]


def test_storage_retain_ignores_auto_delete(built: Built) -> None:
    # auto_delete_objects defaults to True, but a RETAIN bucket must never be emptied.
    case = built["storage_retain"]
    assert case.resources("Custom::S3AutoDeleteObjects") == {}
    assert case.resources("AWS::Lambda::Function") == {}
    for bucket in case.resources("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Retain"
    # No auto-delete principal in the bucket policies either.
    for policy in case.resources("AWS::S3::BucketPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow":
                assert statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}


@pytest.mark.parametrize("name", ["storage_overrides", "storage_retain"])
def test_storage_security_does_not_depend_on_props(name: str, built: Built) -> None:
    case = built[name]
    storage: SensorStorage = case.construct
    assert case.props(storage.table)["SSESpecification"] == {"SSEEnabled": True}
    buckets = case.resources("AWS::S3::Bucket")
    assert len(buckets) == 3
    for props in (bucket["Properties"] for bucket in buckets.values()):
        assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
        assert "BucketEncryption" in props
    policies = case.resources("AWS::S3::BucketPolicy").values()
    assert sorted(p["Properties"]["Bucket"]["Ref"] for p in policies) == sorted(buckets)
    for policy in policies:
        conditions = [
            s["Condition"]
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny"
        ]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
    log_bucket = case.logical_id(storage.access_logs_bucket)
    for bucket in (storage.results_bucket, storage.spill_bucket):
        assert case.props(bucket)["LoggingConfiguration"]["DestinationBucketName"] == ref(
            log_bucket
        )


def test_storage_public_attributes(built: Built) -> None:
    for name in ("storage_default", "storage_overrides"):
        storage: SensorStorage = built[name].construct
        for attribute in ("table", "results_bucket", "spill_bucket", "access_logs_bucket"):
            assert getattr(storage, attribute) is not None, (name, attribute)
        assert (storage.spill_prefix, storage.results_prefix) == ("athena-spill", "results")


def test_storage_rejects_zero_results_retention(built: Built) -> None:
    stack = _stack(built.app, "StorageInvalid")
    with pytest.raises(ValueError, match="results_retention_days"):
        SensorStorage(stack, "Storage", names=NAMES, results_retention_days=0)


# --- SensorIngest ------------------------------------------------------------------------


def test_ingest_defaults(built: Built) -> None:
    case = built["ingest_default"]
    ingest: SensorIngest = case.construct
    assert ingest.sensor_data_sql == sensor_data_sql()
    assert "expires_at" not in case.props(ingest.topic_rule)["TopicRulePayload"]["Sql"]
    log_group = case.resource(ingest.error_log_group)
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert log_group["DeletionPolicy"] == "Delete"
    assert case.resource(ingest.rejected_queue)["DeletionPolicy"] == "Delete"
    # The table is the name it was given, not something the construct creates or imports.
    actions = case.props(ingest.topic_rule)["TopicRulePayload"]["Actions"]
    assert actions[0]["DynamoDBv2"]["PutItem"] == {"TableName": TABLE_NAME}


def test_ingest_overrides_change_the_template(built: Built) -> None:
    case = built["ingest_overrides"]
    ingest: SensorIngest = case.construct
    assert ingest.sensor_data_sql == sensor_data_sql(retention_days=3)
    sql = case.props(ingest.topic_rule)["TopicRulePayload"]["Sql"]
    assert f"timestamp() / 1000 + {3 * 86400} AS expires_at" in sql
    # TTL applies to stored readings only; the rejected rule is unchanged.
    assert "expires_at" not in case.props(ingest.rejected_topic_rule)["TopicRulePayload"]["Sql"]
    log_group = case.resource(ingest.error_log_group)
    assert log_group["Properties"]["RetentionInDays"] == 14
    assert (
        log_group["Properties"]["LogGroupName"] == "/aws/iot/rule/ovr-iot-rule-sensor-data/errors"
    )
    assert (log_group["DeletionPolicy"], log_group["UpdateReplacePolicy"]) == ("Retain", "Retain")
    queue = case.resource(ingest.rejected_queue)
    assert (queue["DeletionPolicy"], queue["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # Security of the queue does not depend on the props.
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 86400


def test_ingest_role_starts_empty(built: Built) -> None:
    # Documented: the stack grants exactly what the actions need; the construct grants nothing.
    for name in ("ingest_default", "ingest_overrides"):
        case = built[name]
        assert case.resources("AWS::IAM::Policy") == {}, name
        role = case.props(case.construct.role)
        assert "Policies" not in role and "ManagedPolicyArns" not in role, name


def test_ingest_inventory_and_public_attributes(built: Built) -> None:
    for name in ("ingest_default", "ingest_overrides"):
        case = built[name]
        ingest: SensorIngest = case.construct
        assert case.types() == {
            "AWS::Logs::LogGroup": 1,
            "AWS::SQS::Queue": 1,
            "AWS::SQS::QueuePolicy": 1,
            "AWS::IAM::Role": 1,
            "AWS::IoT::TopicRule": 2,
        }, name
        for attribute in (
            "error_log_group",
            "rejected_queue",
            "role",
            "topic_rule",
            "rejected_topic_rule",
            "sensor_data_sql",
            "rejected_sql",
        ):
            assert getattr(ingest, attribute) is not None, (name, attribute)
        # Both rules act through the construct's role.
        role_arn = get_att(case.logical_id(ingest.role))
        for rule in (ingest.topic_rule, ingest.rejected_topic_rule):
            payload = case.props(rule)["TopicRulePayload"]
            for action in payload["Actions"] + [payload["ErrorAction"]]:
                (target,) = action.values()
                assert target["RoleArn"] == role_arn, (name, action)


def test_ingest_rejects_zero_retention_days(built: Built) -> None:
    stack = _stack(built.app, "IngestInvalid")
    with pytest.raises(ValueError, match="retention_days"):
        SensorIngest(stack, "Ingest", names=NAMES, table_name=TABLE_NAME, retention_days=0)


# --- DeviceIdentity ----------------------------------------------------------------------


def test_device_identity_creates_only_the_policy(built: Built) -> None:
    case = built["identity_default"]
    identity: DeviceIdentity = case.construct
    assert case.types() == {"AWS::IoT::Policy": 1}
    assert identity.policy is not None
    assert identity.policy_name == NAMES.device_policy
    assert case.props(identity.policy)["PolicyName"] == identity.policy_name


# --- SensorAnalytics ---------------------------------------------------------------------

CONNECTOR_TYPES = (
    "AWS::Serverless::Application",
    "AWS::Athena::DataCatalog",
    "AWS::Athena::NamedQuery",
    "AWS::Logs::LogGroup",
    "AWS::IAM::Policy",
    "AWS::QuickSight::DataSource",
    "AWS::IAM::ManagedPolicy",
)


def test_analytics_defaults(built: Built) -> None:
    case = built["analytics_default"]
    analytics: SensorAnalytics = case.construct
    # Without a connector: catalog, crawler and workgroup only; no transform needed.
    assert case.types() == {
        "AWS::Glue::Database": 1,
        "AWS::Glue::Table": 1,
        "AWS::IAM::Role": 1,
        "AWS::Glue::Crawler": 1,
        "AWS::Athena::WorkGroup": 1,
    }
    assert "Transform" not in case.data
    assert case.props(analytics.crawler)["Schedule"] == {
        "ScheduleExpression": DEFAULT_CRAWLER_SCHEDULE
    }
    workgroup = case.resource(analytics.workgroup)
    assert (workgroup["DeletionPolicy"], workgroup["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert analytics.results_location == f"s3://{RESULTS_BUCKET}/results/"
    result_config = workgroup["Properties"]["WorkGroupConfiguration"]["ResultConfiguration"]
    assert result_config["OutputLocation"] == analytics.results_location
    for attribute in (
        "connector_role",
        "connector_application",
        "connector_log_group",
        "data_catalog",
        "data_catalog_name",
        "connector_function_arn",
        "quicksight_data_source",
        "quicksight_policy",
        "quicksight_role",
    ):
        assert getattr(analytics, attribute) is None, attribute
    assert analytics.named_queries == []


def test_analytics_overrides_change_the_template(built: Built) -> None:
    case = built["analytics_overrides"]
    analytics: SensorAnalytics = case.construct
    assert "Schedule" not in case.props(analytics.crawler)
    config = case.props(analytics.workgroup)["WorkGroupConfiguration"]
    assert config["BytesScannedCutoffPerQuery"] == MIN_BYTES_SCANNED_CUTOFF
    assert config["ResultConfiguration"]["OutputLocation"] == (
        f"s3://{RESULTS_BUCKET}/query-results/"
    )
    workgroup = case.resource(analytics.workgroup)
    assert (workgroup["DeletionPolicy"], workgroup["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # The connector's sizing and spill location come from ConnectorSettings.
    application = case.props(analytics.connector_application)
    parameters = application["Parameters"]
    assert {k: parameters[k] for k in ("SpillBucket", "SpillPrefix", "LambdaTimeout")} == {
        "SpillBucket": SPILL_BUCKET,
        "SpillPrefix": "spill-here",
        "LambdaTimeout": "300",
    }
    assert parameters["LambdaMemory"] == "1024"
    assert parameters["DisableSpillEncryption"] == "false"
    assert parameters["AthenaCatalogName"] == "ovr-athena-catalog-dynamodb"
    assert case.data["Transform"] == "AWS::Serverless-2016-10-31"
    log_group = case.resource(analytics.connector_log_group)
    assert log_group["Properties"]["RetentionInDays"] == 7
    assert (log_group["DeletionPolicy"], log_group["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # named_queries=False: the catalog is there, the saved queries are not.
    assert len(case.resources("AWS::Athena::DataCatalog")) == 1
    assert case.resources("AWS::Athena::NamedQuery") == {}
    assert analytics.named_queries == []
    (source,) = case.resources("AWS::QuickSight::DataSource").values()
    assert source["Properties"]["Permissions"][0]["Principal"] == QUICKSIGHT_ARN
    # The QuickSight policy goes to the overridden role, on the overridden spill prefix.
    policy = case.props(analytics.quicksight_policy)
    assert policy["Roles"] == [QUICKSIGHT_ROLE]
    assert policy["ManagedPolicyName"] == "ovr-quicksight-athena-access"
    spill = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}["ReadConnectorSpill"]
    assert spill["Resource"] == [
        f"arn:aws:s3:::{SPILL_BUCKET}",
        f"arn:aws:s3:::{SPILL_BUCKET}/spill-here/*",
    ]


def test_analytics_connector_role_gets_no_data_access_from_the_construct(built: Built) -> None:
    # Documented: table and spill-bucket access are the stack's grants, not the construct's.
    case = built["analytics_overrides"]
    analytics: SensorAnalytics = case.construct
    assert analytics.connector_role is not None
    role_id = case.logical_id(analytics.connector_role)
    (policy,) = case.resources("AWS::IAM::Policy").values()
    assert policy["Properties"]["Roles"] == [ref(role_id)]
    actions: list[str] = []
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        action = statement["Action"]
        actions += action if isinstance(action, list) else [action]
    assert {a.split(":")[0] for a in actions} == {"logs", "glue", "athena"}
    # The SAM application waits for the log group, so the function's first log has a home.
    assert case.logical_id(analytics.connector_log_group) in (
        case.resource(analytics.connector_application)["DependsOn"]
    )


def test_analytics_public_attributes_with_connector(built: Built) -> None:
    analytics: SensorAnalytics = built["analytics_overrides"].construct
    for attribute in (
        "database",
        "crawler",
        "crawler_role",
        "workgroup",
        "connector_role",
        "connector_application",
        "connector_log_group",
        "data_catalog",
        "connector_function_arn",
        "quicksight_data_source",
        "quicksight_policy",
        "quicksight_role",
    ):
        assert getattr(analytics, attribute) is not None, attribute
    assert analytics.data_catalog_name == OTHER.data_catalog
    assert analytics.database_name == OTHER.glue_database
    assert analytics.workgroup_name == OTHER.workgroup


def test_analytics_quicksight_without_connector_gets_only_the_results_bucket(
    built: Built,
) -> None:
    case = built["analytics_quicksight_only"]
    analytics: SensorAnalytics = case.construct
    assert analytics.connector_function_arn is None
    policy = case.props(analytics.quicksight_policy)
    assert policy["Roles"] == ["aws-quicksight-service-role-v0"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Sid"] == "AthenaQueryResults"
    assert statement["Resource"] == [
        f"arn:aws:s3:::{RESULTS_BUCKET}",
        f"arn:aws:s3:::{RESULTS_BUCKET}/results/*",
    ]


def test_analytics_rejects_a_cutoff_below_athenas_minimum(built: Built) -> None:
    stack = _stack(built.app, "AnalyticsInvalid")
    with pytest.raises(ValueError, match="bytes_scanned_cutoff"):
        SensorAnalytics(
            stack,
            "Analytics",
            names=NAMES,
            table_name=TABLE_NAME,
            results_bucket=s3.Bucket.from_bucket_name(stack, "Results", RESULTS_BUCKET),
            results_prefix="results",
            bytes_scanned_cutoff=MIN_BYTES_SCANNED_CUTOFF - 1,
        )


# --- SensorMonitoring --------------------------------------------------------------------


def test_monitoring_defaults(built: Built) -> None:
    case = built["monitoring_default"]
    monitoring: SensorMonitoring = case.construct
    assert case.types() == {"AWS::CloudWatch::Alarm": 11, "AWS::CloudWatch::Dashboard": 1}
    assert monitoring.alarm_topic is None
    assert set(monitoring.alarms) == ALARM_KEYS | {"UnhandledMessages"}
    # Metrics Insights by default: the four rule-failure alarms and the unhandled-messages
    # alarm are metric-math alarms.
    math_alarms = {
        key for key, alarm in monitoring.alarms.items() if "Metrics" in case.props(alarm)
    }
    assert math_alarms == {k for k in ALARM_KEYS if k.endswith("Failure")} | {"UnhandledMessages"}


def test_monitoring_overrides_change_the_template(built: Built) -> None:
    case = built["monitoring_overrides"]
    monitoring: SensorMonitoring = case.construct
    assert monitoring.alarm_topic is not None
    topic_id = case.logical_id(monitoring.alarm_topic)
    assert set(monitoring.alarms) == ALARM_KEYS
    # E-mail alarms with plain metrics, a combination the stack never builds.
    for key, alarm in monitoring.alarms.items():
        props = case.props(alarm)
        assert "Metrics" not in props, key
        assert props["AlarmActions"] == [ref(topic_id)], key
    (subscription,) = case.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == ALARM_EMAIL
    assert len(case.resources("AWS::SNS::TopicPolicy")) == 1


def test_monitoring_public_attributes(built: Built) -> None:
    for name in ("monitoring_default", "monitoring_overrides"):
        case = built[name]
        monitoring: SensorMonitoring = case.construct
        assert monitoring.dashboard is not None
        assert monitoring.dashboard_name == "attempt-cloudwatch-dashboard-sensor"
        assert case.props(monitoring.dashboard)["DashboardName"] == monitoring.dashboard_name
        assert all(alarm is not None for alarm in monitoring.alarms.values())


# --- invariants over every construct stack and the whole default stack --------------------


def test_every_construct_stack_is_self_contained(built: Built) -> None:
    # Fixed env, no bootstrap rule, and no parameters or cross-stack imports: each construct
    # stands on its own with the props it is given.
    for name, case in built.cases.items():
        assert "Parameters" not in case.data and "Rules" not in case.data, name
        assert "Fn::ImportValue" not in str(case.data), name


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def test_every_log_group_has_a_retention(default: Synth) -> None:
    groups = default.resources("AWS::Logs::LogGroup")
    assert groups
    for logical_id, group in groups.items():
        assert group["Properties"].get("RetentionInDays", 0) > 0, logical_id


def test_every_queue_is_encrypted_and_tls_only(default: Synth) -> None:
    queues = default.resources("AWS::SQS::Queue")
    assert queues
    denied: set[str] = set()
    for policy in default.resources("AWS::SQS::QueuePolicy").values():
        for statement in _statements(policy["Properties"]["PolicyDocument"]):
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                denied |= {q["Ref"] for q in policy["Properties"]["Queues"]}
    for logical_id, queue in queues.items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, logical_id
        assert logical_id in denied, logical_id


def test_every_role_is_assumable_only_by_an_aws_service(default: Synth) -> None:
    assert default.resources("AWS::IAM::User") == {}
    assert default.resources("AWS::IAM::AccessKey") == {}
    roles = default.resources("AWS::IAM::Role")
    assert roles
    for logical_id, role in roles.items():
        for statement in _statements(role["Properties"]["AssumeRolePolicyDocument"]):
            assert statement["Effect"] == "Allow", logical_id
            assert statement["Action"] == "sts:AssumeRole", logical_id
            assert list(statement["Principal"]) == ["Service"], logical_id
            services = statement["Principal"]["Service"]
            for service in services if isinstance(services, list) else [services]:
                assert isinstance(service, str) and service.endswith(".amazonaws.com")


def test_no_resource_policy_allows_anyone_or_everything(default: Synth) -> None:
    # Identity policies are swept in test_compliance.py; this covers the resource policies.
    policy_types = ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy")
    checked = 0
    for policy_type in policy_types:
        for logical_id, policy in default.resources(policy_type).items():
            for statement in _statements(policy["Properties"]["PolicyDocument"]):
                if statement["Effect"] != "Allow":
                    continue
                checked += 1
                principal = statement["Principal"]
                assert principal not in ("*", {"AWS": "*"}), logical_id
                actions = statement["Action"]
                for action in actions if isinstance(actions, list) else [actions]:
                    assert action != "*" and not action.endswith(":*"), (logical_id, action)
    assert checked > 0


def test_every_topic_rule_is_enabled_and_has_an_error_action(default: Synth) -> None:
    rules = default.resources("AWS::IoT::TopicRule")
    assert rules
    for logical_id, rule in rules.items():
        payload = rule["Properties"]["TopicRulePayload"]
        assert payload["RuleDisabled"] is False, logical_id
        assert "ErrorAction" in payload, logical_id
        assert payload["Actions"], logical_id


def test_every_output_is_described(default: Synth) -> None:
    outputs = default.data["Outputs"]
    assert outputs
    for key, output in outputs.items():
        assert output.get("Description"), key
