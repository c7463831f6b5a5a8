"""Glue database and crawler, Athena workgroup, DynamoDB connector, catalog, named queries."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
import sqlglot
from aws_cdk.assertions import Template

import app as app_module

from infra.analytics import (
    CONNECTOR_APPLICATION_ID,
    CONNECTOR_SEMANTIC_VERSION,
    QUICKSIGHT_DATA_SOURCE_ACTIONS,
    QUICKSIGHT_INVOKE_ACTIONS,
    QUICKSIGHT_RESULTS_ACTIONS,
    QUICKSIGHT_SPILL_ACTIONS,
)
from infra.queries import load_named_queries
from wio_contract.fields import CONTRACT
from wio_contract.names import ResourceNames
from synth_helpers import (
    ACCOUNT,
    PARTITION,
    QUICKSIGHT_ARN,
    REGION,
    Synth,
    arn_join,
    cdk_json_context,
    get_att,
    glue_arn,
    policy_statements,
)

pytestmark = pytest.mark.unit

EXPECTED_QUERIES = {
    "daily-stats-per-device",
    "hourly-averages-per-device",
    "latest-readings-per-device",
    "silent-devices",
}


def test_glue_database_carries_the_connector_marker(default: Synth, custom: Synth) -> None:
    for synth, name in (
        (default, "attempt-glue-database-sensor"),
        (custom, "demo-glue-database-sensor"),
    ):
        _, database = synth.one("AWS::Glue::Database")
        assert database["Properties"]["CatalogId"] == ACCOUNT
        assert database["Properties"]["DatabaseInput"]["Name"] == name
        assert "dynamo-db-flag" in database["Properties"]["DatabaseInput"]["LocationUri"]


def test_crawler(default: Synth) -> None:
    analytics = default.stack.analytics
    props = default.props(analytics.crawler)
    table = default.logical_id(default.stack.storage.table)
    assert props["Name"] == "attempt-glue-crawler-sensor-data"
    assert props["DatabaseName"] == "attempt-glue-database-sensor"
    assert props["Role"] == get_att(default.logical_id(analytics.crawler_role))
    assert props["Targets"] == {"DynamoDBTargets": [{"Path": {"Ref": table}, "ScanAll": False}]}
    assert props["Schedule"] == {"ScheduleExpression": "cron(0 2 * * ? *)"}
    # The contract owns the Glue table: the crawler may only log drift, never rewrite it.
    assert props["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert "11:00 JST" in props["Description"]
    crawler = default.data["Resources"][default.logical_id(analytics.crawler)]
    assert default.logical_id(analytics.glue_table) in crawler["DependsOn"]


def test_glue_table_is_typed_from_the_contract_for_the_connector(default: Synth) -> None:
    props = default.props(default.stack.analytics.glue_table)
    table = props["TableInput"]
    assert props["DatabaseName"] == "attempt-glue-database-sensor"
    # The crawler's own name for the table, so the original README's names lead here.
    assert table["Name"] == "attempt_dynamodb_sensor_data"
    assert table["Parameters"] == {
        "classification": "dynamodb",
        "sourceTable": {"Ref": default.logical_id(default.stack.storage.table)},
    }
    columns = table["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in columns] == [
        (f.name, f.glue_type) for f in CONTRACT.stored_fields
    ]
    assert {"Name": "temperature", "Type": "double", "Comment": "Temperature [°C]"} in columns
    assert {"Name": "light", "Type": "bigint", "Comment": "Light [raw]"} in columns
    table_resource = default.data["Resources"][
        default.logical_id(default.stack.analytics.glue_table)
    ]
    assert default.logical_id(default.stack.analytics.database) in table_resource["DependsOn"]


def test_crawler_schedule_switches(custom: Synth, no_connector: Synth) -> None:
    assert "Schedule" not in custom.props(custom.stack.analytics.crawler)
    assert no_connector.props(no_connector.stack.analytics.crawler)["Schedule"] == {
        "ScheduleExpression": "cron(30 18 * * ? *)"
    }


def test_crawler_role_least_privilege(default: Synth) -> None:
    role = default.stack.analytics.crawler_role
    props = default.props(role)
    assert props["AssumeRolePolicyDocument"]["Statement"] == [
        {
            # No aws:SourceAccount: AWS documents no such key for Glue assuming the role.
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"},
        }
    ]
    # AWSGlueServiceRole is acknowledged in cdk-nag (AwsSolutions-IAM4) with its reason.
    assert props["ManagedPolicyArns"] == [
        arn_join("arn:", PARTITION, ":iam::aws:policy/service-role/AWSGlueServiceRole")
    ]
    table = default.logical_id(default.stack.storage.table)
    assert policy_statements(default, role) == [
        {
            "Action": ["dynamodb:DescribeTable", "dynamodb:Scan"],
            "Effect": "Allow",
            "Resource": get_att(table),
        }
    ]


def test_workgroup(default: Synth, custom: Synth) -> None:
    results = default.logical_id(default.stack.storage.results_bucket)
    props = default.props(default.stack.analytics.workgroup)
    assert props["Name"] == "attempt-athena-workgroup-sensor"
    assert props["State"] == "ENABLED"
    assert props["RecursiveDeleteOption"] is True
    assert props["WorkGroupConfiguration"] == {
        "BytesScannedCutoffPerQuery": 1024**3,
        "EnforceWorkGroupConfiguration": True,
        "EngineVersion": {"SelectedEngineVersion": "Athena engine version 3"},
        "PublishCloudWatchMetricsEnabled": True,
        "ResultConfiguration": {
            "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
            "ExpectedBucketOwner": ACCOUNT,
            "OutputLocation": arn_join("s3://", {"Ref": results}, "/results/"),
        },
    }
    custom_props = custom.props(custom.stack.analytics.workgroup)
    assert custom_props["Name"] == "demo-athena-workgroup-sensor"
    assert custom_props["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"] == 104857600


def test_connector_application(default: Synth) -> None:
    analytics = default.stack.analytics
    assert analytics.connector_application is not None and analytics.connector_role is not None
    resource = default.data["Resources"][default.logical_id(analytics.connector_application)]
    assert resource["Type"] == "AWS::Serverless::Application"
    spill = default.logical_id(default.stack.storage.spill_bucket)
    assert resource["Properties"]["Location"] == {
        "ApplicationId": CONNECTOR_APPLICATION_ID,
        "SemanticVersion": CONNECTOR_SEMANTIC_VERSION,
    }
    assert CONNECTOR_SEMANTIC_VERSION == "2026.33.1"
    assert resource["Properties"]["Parameters"] == {
        "AthenaCatalogName": "attempt-athena-catalog-dynamodb",
        "SpillBucket": {"Ref": spill},
        "SpillPrefix": "athena-spill",
        "LambdaTimeout": "900",
        "LambdaMemory": "3008",
        "DisableSpillEncryption": "false",
        "LambdaRole": get_att(default.logical_id(analytics.connector_role)),
    }
    # The SAM transform is added for the application (deploy needs CAPABILITY_AUTO_EXPAND).
    assert default.data["Transform"] == "AWS::Serverless-2016-10-31"
    depends = resource["DependsOn"]
    assert any(d.startswith("AnalyticsConnectorRoleDefaultPolicy") for d in depends)
    assert default.logical_id(analytics.connector_log_group) in depends


def test_data_catalog_points_at_the_connector_function(default: Synth) -> None:
    analytics = default.stack.analytics
    _, catalog = default.one("AWS::Athena::DataCatalog")
    assert catalog["Properties"]["Name"] == "attempt-athena-catalog-dynamodb"
    assert catalog["Properties"]["Type"] == "LAMBDA"
    assert catalog["Properties"]["Parameters"] == {
        "function": arn_join(
            "arn:",
            PARTITION,
            ":lambda:",
            REGION,
            ":",
            ACCOUNT,
            ":function:attempt-athena-catalog-dynamodb",
        )
    }
    assert default.logical_id(analytics.connector_application) in catalog["DependsOn"]


def test_connector_log_group(default: Synth) -> None:
    group = default.stack.analytics.connector_log_group
    assert group is not None
    props = default.props(group)
    assert props["LogGroupName"] == "/aws/lambda/attempt-athena-catalog-dynamodb"
    assert props["RetentionInDays"] == 30


def test_connector_role_statements(default: Synth) -> None:
    analytics = default.stack.analytics
    role = analytics.connector_role
    assert role is not None
    props = default.props(role)
    assert props["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in props
    assert analytics.connector_log_group is not None
    log_group = default.logical_id(analytics.connector_log_group)
    table = default.logical_id(default.stack.storage.table)
    spill = default.logical_id(default.stack.storage.spill_bucket)
    assert policy_statements(default, role) == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": get_att(log_group),
        },
        {
            "Action": [
                "glue:GetDatabase",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:GetTable",
                "glue:GetTableVersion",
                "glue:GetTableVersions",
                "glue:GetTables",
            ],
            "Effect": "Allow",
            "Resource": [
                glue_arn("catalog"),
                glue_arn("database/attempt-glue-database-sensor"),
                glue_arn("database/default"),
                glue_arn("table/attempt-glue-database-sensor/*"),
                glue_arn("table/default/*"),
            ],
            "Sid": "ReadConnectorGlueMetadata",
        },
        {
            "Action": "glue:GetDatabases",
            "Effect": "Allow",
            "Resource": [glue_arn("catalog"), glue_arn("database/*")],
            "Sid": "ListGlueDatabases",
        },
        {
            "Action": "athena:GetQueryExecution",
            "Effect": "Allow",
            "Resource": arn_join(
                "arn:",
                PARTITION,
                ":athena:",
                REGION,
                ":",
                ACCOUNT,
                ":workgroup/attempt-athena-workgroup-sensor",
            ),
            "Sid": "CheckQueryState",
        },
        {
            "Action": [
                "dynamodb:DescribeTable",
                "dynamodb:PartiQLSelect",
                "dynamodb:Query",
                "dynamodb:Scan",
            ],
            "Effect": "Allow",
            "Resource": get_att(table),
        },
        {
            "Action": "dynamodb:ListTables",
            "Effect": "Allow",
            "Resource": "*",
            "Sid": "ListTablesForDefaultSchema",
        },
        {
            "Action": [
                "s3:Abort*",
                "s3:DeleteObject*",
                "s3:GetBucket*",
                "s3:GetObject*",
                "s3:List*",
                "s3:PutObject",
                "s3:PutObjectLegalHold",
                "s3:PutObjectRetention",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
            ],
            "Effect": "Allow",
            "Resource": [get_att(spill), arn_join(get_att(spill), "/athena-spill/*")],
        },
    ]


def test_named_queries(default: Synth) -> None:
    named = default.resources("AWS::Athena::NamedQuery")
    expected = {q.name: q for q in load_named_queries(names=ResourceNames())}
    assert set(expected) == EXPECTED_QUERIES
    assert {r["Properties"]["Name"] for r in named.values()} == EXPECTED_QUERIES
    catalog = default.logical_id(default.stack.analytics.data_catalog)
    workgroup = default.logical_id(default.stack.analytics.workgroup)
    for resource in named.values():
        props = resource["Properties"]
        query = expected[props["Name"]]
        assert props["QueryString"] == query.sql
        assert props["Description"] == query.description
        assert props["WorkGroup"] == "attempt-athena-workgroup-sensor"
        assert props["Database"] == "default"
        # Through the connector catalog, so the queries really run.
        assert (
            '"attempt-athena-catalog-dynamodb"."attempt-glue-database-sensor"'
            '."attempt_dynamodb_sensor_data"'
        ) in props["QueryString"]
        assert {catalog, workgroup} <= set(resource["DependsOn"])


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_named_query_parses_as_athena_sql(name: str) -> None:
    queries = {q.name: q for q in load_named_queries(names=ResourceNames())}
    parsed = sqlglot.parse_one(queries[name].sql, read="athena")
    assert parsed is not None
    assert isinstance(parsed, sqlglot.exp.Query)


def test_connector_switches(local: Synth, no_connector: Synth, custom: Synth) -> None:
    # local implies dynamodb_connector=false; both leave out connector, catalog, queries.
    for synth in (local, no_connector):
        for resource_type in (
            "AWS::Serverless::Application",
            "AWS::Athena::DataCatalog",
            "AWS::Athena::NamedQuery",
        ):
            assert synth.resources(resource_type) == {}, (synth.name, resource_type)
        assert "Transform" not in synth.data
        assert synth.stack.analytics.connector_role is None
        # The spill bucket stays: the connector can be turned on later without data moves.
        assert synth.stack.storage.spill_bucket is not None
    assert local.stack.settings.dynamodb_connector is False
    # custom keeps the connector (retain_data etc. do not touch it).
    assert len(custom.resources("AWS::Athena::NamedQuery")) == len(EXPECTED_QUERIES)
    _, catalog = custom.one("AWS::Athena::DataCatalog")
    assert catalog["Properties"]["Name"] == "demo-athena-catalog-dynamodb"


def test_local_template_keeps_everything_else(local: Synth) -> None:
    for resource_type, count in (
        ("AWS::DynamoDB::Table", 1),
        ("AWS::IoT::TopicRule", 2),
        ("AWS::IoT::Policy", 1),
        ("AWS::SQS::Queue", 1),
        ("AWS::Logs::LogGroup", 1),
        ("AWS::Glue::Database", 1),
        ("AWS::Glue::Crawler", 1),
        ("AWS::Glue::Table", 1),
        ("AWS::Athena::WorkGroup", 1),
        ("AWS::S3::Bucket", 3),
        ("AWS::CloudWatch::Alarm", 10),
        ("AWS::CloudWatch::Dashboard", 1),
    ):
        assert len(local.resources(resource_type)) == count, resource_type


def test_quicksight_only_with_principal(synths: dict[str, Synth]) -> None:
    for name in ("default", "local", "no_connector"):
        synth = synths[name]
        quicksight = {k for k in synth.data["Resources"] if "QuickSight" in k}
        assert quicksight == set(), name
        assert synth.resources("AWS::QuickSight::DataSource") == {}, name
        assert synth.resources("AWS::IAM::ManagedPolicy") == {}, name
        assert synth.stack.analytics.quicksight_policy is None, name
    custom = synths["custom"]
    _, source = custom.one("AWS::QuickSight::DataSource")
    workgroup = custom.logical_id(custom.stack.analytics.workgroup)
    assert source["Properties"] == {
        "AwsAccountId": ACCOUNT,
        "DataSourceId": "demo-athena-sensor",
        "Name": "demo sensor data (Athena demo-athena-workgroup-sensor)",
        "Type": "ATHENA",
        "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "demo-athena-workgroup-sensor"}},
        "SslProperties": {"DisableSsl": False},
        "Permissions": [{"Principal": QUICKSIGHT_ARN, "Actions": QUICKSIGHT_DATA_SOURCE_ACTIONS}],
        "Tags": source["Properties"]["Tags"],
    }
    assert workgroup in source["DependsOn"]


def _quicksight_policy(synth: Synth) -> dict[str, object]:
    _, policy = synth.one("AWS::IAM::ManagedPolicy")
    assert policy["Properties"] == synth.props(synth.stack.analytics.quicksight_policy)
    props: dict[str, object] = policy["Properties"]
    return props


def test_quicksight_policy_is_exactly_the_federated_query_path(custom: Synth) -> None:
    storage = custom.stack.storage
    results = custom.logical_id(storage.results_bucket)
    spill = custom.logical_id(storage.spill_bucket)
    props = _quicksight_policy(custom)
    assert props["ManagedPolicyName"] == "demo-quicksight-athena-access"
    assert props["Path"] == "/"
    document = props["PolicyDocument"]
    assert isinstance(document, dict)
    statements = {s.pop("Sid"): s for s in (dict(s) for s in document["Statement"])}
    connector_arn = arn_join(
        "arn:",
        PARTITION,
        ":lambda:",
        REGION,
        ":",
        ACCOUNT,
        ":function:demo-athena-catalog-dynamodb",
    )
    assert statements == {
        "InvokeDynamoDBConnector": {
            "Effect": "Allow",
            "Action": QUICKSIGHT_INVOKE_ACTIONS[0],
            "Resource": connector_arn,
        },
        "AthenaQueryResults": {
            "Effect": "Allow",
            "Action": sorted(QUICKSIGHT_RESULTS_ACTIONS),
            "Resource": [get_att(results), arn_join(get_att(results), "/results/*")],
        },
        "ReadConnectorSpill": {
            "Effect": "Allow",
            "Action": sorted(QUICKSIGHT_SPILL_ACTIONS),
            "Resource": [get_att(spill), arn_join(get_att(spill), "/athena-spill/*")],
        },
    }
    # The invoked function is the one the data catalog points at.
    catalog = custom.props(custom.stack.analytics.data_catalog)
    assert catalog["Parameters"] == {"function": connector_arn}


def test_quicksight_policy_actions_are_the_documented_lists() -> None:
    assert QUICKSIGHT_INVOKE_ACTIONS == ["lambda:InvokeFunction"]
    assert set(QUICKSIGHT_RESULTS_ACTIONS) == {
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
        "s3:ListBucketMultipartUploads",
    }
    assert set(QUICKSIGHT_SPILL_ACTIONS) == {
        "s3:GetObject",
        "s3:ListBucket",
        "s3:GetBucketLocation",
    }


def test_quicksight_policy_is_attached_to_the_service_role_by_name(custom: Synth) -> None:
    # IAM wants the role NAME (no path) in Roles; the import keeps the documented path.
    props = _quicksight_policy(custom)
    assert props["Roles"] == ["aws-quicksight-service-role-v0"]
    role = custom.stack.analytics.quicksight_role
    assert role is not None
    assert custom.stack.resolve(role.role_arn) == arn_join(
        "arn:",
        PARTITION,
        ":iam::",
        ACCOUNT,
        ":role/service-role/aws-quicksight-service-role-v0",
    )
    # Imported, not created: the stack makes no role for QuickSight.
    assert not any("QuickSight" in k for k in custom.resources("AWS::IAM::Role"))


def test_quicksight_service_role_context_overrides_the_role(tmp_path: Path) -> None:
    context = {
        **cdk_json_context(),
        "quicksight_principal_arn": QUICKSIGHT_ARN,
        "quicksight_service_role": "my-quicksight-role",
    }
    app = cdk.App(context=context, outdir=str(tmp_path))
    _, stack = app_module.build_app(app, environ={})
    policies = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = policies.values()
    assert policy["Properties"]["Roles"] == ["my-quicksight-role"]
    assert policy["Properties"]["ManagedPolicyName"] == "attempt-quicksight-athena-access"
