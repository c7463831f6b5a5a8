"""cdk-nag (v3) acknowledgments, in the form the AwsSolutions plugin reports them."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

PLUGIN = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding (e.g. ``AwsSolutions-IAM5[Resource::*]``) on scope.

    Every acknowledgment needs a real reason; the unit tests list them all.
    """
    if not rule.startswith(f"{PLUGIN}-"):
        raise ValueError(f"not an {PLUGIN} rule id: {rule}")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"{PLUGIN}::{rule}", reason=reason))
