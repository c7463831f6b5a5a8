"""cdk-nag, cfn-lint and a sweep over every IAM statement of every variant."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from cfnlint.api import ManualArgs, lint_file

from synth_helpers import Synth

pytestmark = pytest.mark.unit

#: Every cdk-nag acknowledgment of the default template, with where it applies.
EXPECTED_ACKNOWLEDGMENTS = {
    ("Ingest/RejectedQueue", "AwsSolutions-SQS3"),
    (
        "Analytics/CrawlerRole",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSGlueServiceRole]",
    ),
    ("Analytics/Crawler", "AwsSolutions-GL1"),
    (
        "Analytics/ConnectorRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:"
        "table/attempt-glue-database-sensor/*]",
    ),
    (
        "Analytics/ConnectorRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:"
        "table/default/*]",
    ),
    (
        "Analytics/ConnectorRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:"
        "database/*]",
    ),
    ("Analytics/ConnectorRole", "AwsSolutions-IAM5[Resource::*]"),
    (
        "Analytics/ConnectorRole",
        "AwsSolutions-IAM5[Resource::<StorageAthenaSpillBucket3F61176E.Arn>/athena-spill/*]",
    ),
    ("Analytics/ConnectorRole", "AwsSolutions-IAM5[Action::s3:GetObject*]"),
    ("Analytics/ConnectorRole", "AwsSolutions-IAM5[Action::s3:GetBucket*]"),
    ("Analytics/ConnectorRole", "AwsSolutions-IAM5[Action::s3:List*]"),
    ("Analytics/ConnectorRole", "AwsSolutions-IAM5[Action::s3:DeleteObject*]"),
    ("Analytics/ConnectorRole", "AwsSolutions-IAM5[Action::s3:Abort*]"),
}


def _acknowledgments(synth: Synth) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    stack_path = synth.stack.node.path
    for construct in synth.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                continue
            data = entry.data
            # {"AwsSolutions::<rule id>": "<reason>"}
            for rule_id, reason in data.items():
                plugin, _, rule = rule_id.partition("::")
                assert plugin == "AwsSolutions", rule_id
                path = construct.node.path.removeprefix(stack_path + "/")
                found.add((path, rule))
                assert len(reason) > 40, (rule_id, reason)
    return found


def test_cdk_nag_reports_no_findings(synths: dict[str, Synth]) -> None:
    # app.synth() in the fixture already raised on any unacknowledged finding; check the
    # report it wrote too.
    for synth in synths.values():
        report = json.loads((synth.outdir / "validation-report.json").read_text())
        for plugin in report["pluginReports"]:
            assert plugin["conclusion"] != "failure", (synth.name, plugin)
            assert plugin.get("violations", []) == [], (synth.name, plugin)


def test_every_acknowledgment_is_listed_with_a_reason(default: Synth) -> None:
    assert _acknowledgments(default) == EXPECTED_ACKNOWLEDGMENTS


@pytest.mark.parametrize("variant", ["default", "local", "custom", "no_connector"])
def test_cfn_lint_clean(variant: str, synths: dict[str, Synth]) -> None:
    synth = synths[variant]
    matches = lint_file(synth.template_file, config=ManualArgs(regions=["ap-northeast-1"]))
    # The one exception is CDK's own auto-delete provider: its Lambda function both
    # references and DependsOn its role (W3005, a warning), which this project cannot change.
    findings = [
        str(m)
        for m in matches
        if not (
            m.rule.id == "W3005" and "CustomS3AutoDeleteObjectsCustomResourceProvider" in str(m)
        )
    ]
    assert findings == []


def _statements(synth: Synth) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for logical_id, resource in synth.data["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            found += [(logical_id, s) for s in props["PolicyDocument"]["Statement"]]
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                found += [(logical_id, s) for s in policy["PolicyDocument"]["Statement"]]
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_iam_wildcards_except_where_aws_requires(synths: dict[str, Synth]) -> None:
    for synth in synths.values():
        for logical_id, statement in _statements(synth):
            assert statement["Effect"] == "Allow"
            assert "NotAction" not in statement and "NotResource" not in statement
            actions = _as_list(statement["Action"])
            assert "*" not in actions and not any(a.endswith(":*") for a in actions)
            resources = _as_list(statement["Resource"])
            if "*" in resources:
                # dynamodb:ListTables has no resource-level permission: AWS requires "*".
                assert resources == ["*"] and actions == ["dynamodb:ListTables"], logical_id
                assert logical_id.startswith("AnalyticsConnectorRoleDefaultPolicy")


def test_only_expected_roles_exist(synths: dict[str, Synth]) -> None:
    expected = {
        "default": {"IngestTopicRuleRole", "AnalyticsCrawlerRole", "AnalyticsConnectorRole",
                    "CustomS3AutoDeleteObjectsCustomResourceProviderRole"},
        "local": {"IngestTopicRuleRole", "AnalyticsCrawlerRole"},
        "custom": {"IngestTopicRuleRole", "AnalyticsCrawlerRole", "AnalyticsConnectorRole"},
        "no_connector": {"IngestTopicRuleRole", "AnalyticsCrawlerRole",
                         "CustomS3AutoDeleteObjectsCustomResourceProviderRole"},
    }  # fmt: skip
    for name, synth in synths.items():
        roles = {logical_id[:-8] for logical_id in synth.resources("AWS::IAM::Role")}
        assert roles == expected[name], name


def test_auto_delete_provider_role_is_cdk_standard(default: Synth) -> None:
    _, role = next(
        (k, v)
        for k, v in default.resources("AWS::IAM::Role").items()
        if k.startswith("CustomS3AutoDeleteObjects")
    )
    basic_execution = "service-role/AWSLambdaBasicExecutionRole"
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::aws:policy/{basic_execution}"}
    ]


def test_quicksight_policy_acknowledgments(custom: Synth) -> None:
    # Only the per-query object prefixes; every action is named, every bucket is this stack's.
    found = {rule for path, rule in _acknowledgments(custom) if "QuickSight" in path}
    assert found == {
        "AwsSolutions-IAM5[Resource::<StorageAthenaResultsBucket5A1DC446.Arn>/results/*]",
        "AwsSolutions-IAM5[Resource::<StorageAthenaSpillBucket3F61176E.Arn>/athena-spill/*]",
    }
