"""Synthesis of the analytics app, once per variant per test session (jsii starts slowly)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from analytics_infra.stack import AnalyticsStack

APP_DIR = Path(__file__).resolve().parents[2] / "infra"
ALERT_EMAIL = "maker@example.com"

VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "local": {"local": "true", "stream_batching_window_seconds": "1"},
    "custom": {
        "prefix": "demo",
        "alert_email": ALERT_EMAIL,
        "retain_data": "true",
        "detector_schedule": "rate(15 minutes)",
        "forecast": "false",
        "stream_batch_size": "200",
        "lake_buffer_seconds": "900",
    },
    "lake_off": {"lake": "false", "detector": "false"},
}


@dataclass(frozen=True)
class Synth:
    name: str
    stack: AnalyticsStack
    data: dict[str, Any]
    outdir: Path
    seconds: float

    @property
    def template_file(self) -> Path:
        return self.outdir / f"{self.stack.stack_name}.template.json"

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.data["Resources"].items() if v["Type"] == resource_type}

    def one(self, resource_type: str) -> dict[str, Any]:
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {list(found)}"
        props: dict[str, Any] = next(iter(found.values())).get("Properties", {})
        return props

    def logical_id(self, construct: Any) -> str:
        node = construct.node
        target = node.default_child if node.default_child is not None else construct
        return str(self.stack.get_logical_id(target))

    def statements(self, role: Any) -> list[dict[str, Any]]:
        role_id = self.logical_id(role)
        out: list[dict[str, Any]] = []
        for policy in self.resources("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"]["Roles"]:
                out += policy["Properties"]["PolicyDocument"]["Statement"]
        return out


def synth_variant(name: str, context: Mapping[str, str], outdir: Path) -> Synth:
    import app as app_module

    started = time.perf_counter()
    base = json.loads((APP_DIR / "cdk.json").read_text())["context"]
    app = cdk.App(context={**base, **context}, outdir=str(outdir))
    _, stack = app_module.build_app(app, environ={}, bundle_dir=outdir / "bundle")
    app.synth()  # cdk-nag runs here: raises on an unacknowledged finding
    data: dict[str, Any] = Template.from_stack(stack).to_json()
    return Synth(name, stack, data, outdir, time.perf_counter() - started)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def flat(value: Any) -> str:
    """A CloudFormation value (with intrinsics) as comparable text."""
    return json.dumps(value, sort_keys=True)
