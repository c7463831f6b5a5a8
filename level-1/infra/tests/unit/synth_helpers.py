"""Synthesis helpers of the unit tests: context variants, the Synth record, CFN helpers.

jsii costs seconds to start, so every variant is built in the same Python process and the
Template objects are shared by all unit tests. Each synth runs cdk-nag (``app.synth()``
raises on any unacknowledged finding) and writes its cloud assembly to a temp folder, which
the cfn-lint and snapshot tests read.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

INFRA_DIR = Path(__file__).resolve().parents[2]
if str(INFRA_DIR) not in sys.path:
    sys.path.insert(0, str(INFRA_DIR))

import app as app_module  # noqa: E402
from infra.infra_stack import IotMonitoringStack  # noqa: E402

QUICKSIGHT_ARN = "arn:aws:quicksight:ap-northeast-1:123456789012:user/default/maker"
ALARM_EMAIL = "maker@example.com"

#: Context of each variant, on top of cdk.json's feature flags.
VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "local": {"local": "true"},
    # Every optional switch at once, with a different prefix.
    "custom": {
        "prefix": "demo",
        "retention_days": "30",
        "retain_data": "true",
        "alarm_email": ALARM_EMAIL,
        "quicksight_principal_arn": QUICKSIGHT_ARN,
        "crawler_schedule": "none",
        "results_retention_days": "7",
        "athena_bytes_scanned_cutoff": "104857600",
        "rule_error_log_retention_days": "90",
    },
    "no_connector": {
        "dynamodb_connector": "false",
        "crawler_schedule": "cron(30 18 * * ? *)",
    },
}


@dataclass(frozen=True)
class Synth:
    """One synthesized variant."""

    name: str
    stack: IotMonitoringStack
    template: Template
    data: dict[str, Any]
    outdir: Path
    seconds: float

    @property
    def template_file(self) -> Path:
        return self.outdir / f"{self.stack.stack_name}.template.json"

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.data["Resources"].items()
            if resource["Type"] == resource_type
        }

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {list(found)}"
        return next(iter(found.items()))

    def logical_id(self, construct: Any) -> str:
        """Logical id of an L2 construct's default child or of an L1 construct."""
        node = construct.node
        target = node.default_child if node.default_child is not None else construct
        return str(self.stack.get_logical_id(target))

    def props(self, construct: Any) -> dict[str, Any]:
        resource: dict[str, Any] = self.data["Resources"][self.logical_id(construct)]
        props: dict[str, Any] = resource.get("Properties", {})
        return props


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((INFRA_DIR / "cdk.json").read_text())["context"]
    return context


def synth_variant(name: str, context: Mapping[str, str], outdir: Path) -> Synth:
    started = time.perf_counter()
    app = cdk.App(context={**cdk_json_context(), **context}, outdir=str(outdir))
    _, stack = app_module.build_app(app, environ={})
    app.synth()  # runs cdk-nag; raises ValidationFailed on unacknowledged findings
    template = Template.from_stack(stack)
    data: dict[str, Any] = template.to_json()
    return Synth(name, stack, template, data, outdir, time.perf_counter() - started)


def arn_join(*parts: Any) -> dict[str, Any]:
    """The Fn::Join CDK renders for an f-string with pseudo-parameter tokens."""
    return {"Fn::Join": ["", list(parts)]}


PARTITION = {"Ref": "AWS::Partition"}
REGION = {"Ref": "AWS::Region"}
ACCOUNT = {"Ref": "AWS::AccountId"}


def glue_arn(resource: str) -> dict[str, Any]:
    return arn_join("arn:", PARTITION, ":glue:", REGION, ":", ACCOUNT, f":{resource}")


def get_att(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def ref(logical_id: str) -> dict[str, Any]:
    return {"Ref": logical_id}


def policy_statements(synth: Synth, role: Any) -> list[dict[str, Any]]:
    """Statements of every AWS::IAM::Policy attached to ``role``."""
    role_id = synth.logical_id(role)
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements
