"""cdk-nag (AwsSolutions, cdk-nag 3 Validations) and cfn-lint over every variant."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from cfnlint.api import ManualArgs, lint_file

from synth_support import VARIANTS, Synth

pytestmark = pytest.mark.unit

FUNCTIONS = [
    "LakeDelivery/Partitioner",
    "LakeWriter/Writer",
    "Detection/Detector",
    "Detection/Baseline",
    "Forecasting/Job",
]
EXPECTED_ACKNOWLEDGMENTS = {
    *((f"{fn}/Function", "AwsSolutions-L1") for fn in FUNCTIONS),
    (
        "LakeDelivery/Role",
        "AwsSolutions-IAM5[Resource::<LakeStorageBucket5B470899.Arn>/readings/*]",
    ),
    ("LakeDelivery/Role", "AwsSolutions-IAM5[Resource::<LakeStorageBucket5B470899.Arn>/errors/*]"),
    ("LakeWriter/Writer/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("LakeWriter/Failures", "AwsSolutions-SQS3"),
    ("Alerts/Topic", "AwsSolutions-SNS2"),
    ("Detection/Detector/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("Detection/Baseline/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("Forecasting/Job/Role", "AwsSolutions-IAM5[Resource::*]"),
    (
        "Detection/Detector/Role",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:"
        "topic/device/*/alerts]",
    ),
}


def _acknowledgments(synth: Synth) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    stack_path = synth.stack.node.path
    for construct in synth.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                continue
            for rule_id, reason in entry.data.items():
                plugin, _, rule = rule_id.partition("::")
                assert plugin == "AwsSolutions", rule_id
                assert len(reason) > 40, (rule_id, reason)
                found.add((construct.node.path.removeprefix(stack_path + "/"), rule))
    return found


def test_cdk_nag_reports_no_findings(synths: dict[str, Synth]) -> None:
    for synth in synths.values():
        report = json.loads((synth.outdir / "validation-report.json").read_text())
        for plugin in report["pluginReports"]:
            assert plugin["conclusion"] != "failure", (synth.name, plugin)
            assert plugin.get("violations", []) == [], (synth.name, plugin)


def test_every_acknowledgment_is_listed_with_a_reason(default: Synth) -> None:
    assert _acknowledgments(default) == EXPECTED_ACKNOWLEDGMENTS


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_cfn_lint_clean(variant: str, synths: dict[str, Synth]) -> None:
    matches = lint_file(
        synths[variant].template_file, config=ManualArgs(regions=["ap-northeast-1"])
    )
    assert [str(m) for m in matches] == []
