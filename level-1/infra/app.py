#!/usr/bin/env python3
"""CDK app of level 1. The only place that reads CDK context and the environment.

Context (``cdk synth -c key=value`` or ``cdk.json``):

======================================  ============================================
``prefix``                              resource-name prefix (default ``attempt``)
``retention_days``                      DynamoDB TTL in days (default: keep forever)
``crawler_schedule``                    Glue cron, 02:00 UTC = 11:00 JST by default;
                                        ``none`` or empty disables the schedule
``results_retention_days``              days Athena results are kept (default 30)
``athena_bytes_scanned_cutoff``         bytes one query may scan (default 1 GiB)
``dynamodb_connector``                  deploy the Athena DynamoDB connector (true)
``retain_data``                         keep table and buckets on destroy (false)
``alarm_email``                         e-mail address for alarm notifications
``quicksight_principal_arn``            create a QuickSight Athena data source for it
                                        and the policy on QuickSight's service role
``quicksight_service_role``             that role's name (default
                                        ``aws-quicksight-service-role-v0``)
``rule_error_log_retention_days``       rule error log retention (default 30)
``local``                               target the MiniStack emulator (false); implies
                                        ``dynamodb_connector=false``, no named queries
                                        and no auto-delete custom resource
======================================  ============================================
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.analytics import DEFAULT_CRAWLER_SCHEDULE
from infra.infra_stack import IotMonitoringStack, StackSettings
from wio_contract.names import (
    DEFAULT_PREFIX,
    DEFAULT_REGION,
    QUICKSIGHT_SERVICE_ROLE,
    ResourceNames,
)

S3_LOGS_BY_POLICY_FLAG = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
# Bucket names are at most 63 characters: "<prefix>-s3-athena-results-<12 digits>-<region>".
PREFIX_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PREFIX_MAX_LENGTH = 16
# IAM role names: 1-64 of [A-Za-z0-9+=,.@_-] (the path is not part of the name).
ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class ContextError(ValueError):
    """A CDK context value is invalid."""


def _bool(value: Any, key: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ContextError(f"context {key}={value!r}: expected true or false")


def _int(value: Any, key: str, default: int | None, minimum: int) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ContextError(f"context {key}={value!r}: expected a whole number") from None
    if number < minimum:
        raise ContextError(f"context {key}={value!r}: must be at least {minimum}")
    return number


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def settings_from_context(context: Mapping[str, Any]) -> StackSettings:
    """Validate the context values and turn them into :class:`StackSettings`."""
    defaults = StackSettings()
    prefix = _text(context.get("prefix")) or DEFAULT_PREFIX
    if not PREFIX_RE.match(prefix) or len(prefix) > PREFIX_MAX_LENGTH:
        raise ContextError(
            f"context prefix={prefix!r}: use 1-{PREFIX_MAX_LENGTH} lowercase letters, digits "
            "and single hyphens, starting with a letter (it becomes part of S3 bucket names)"
        )

    schedule_raw = context.get("crawler_schedule", DEFAULT_CRAWLER_SCHEDULE)
    schedule = _text(schedule_raw)
    if schedule is not None and schedule.lower() == "none":
        schedule = None
    if schedule is not None and not (schedule.startswith("cron(") and schedule.endswith(")")):
        raise ContextError(f"context crawler_schedule={schedule_raw!r}: expected cron(...) or none")

    alarm_email = _text(context.get("alarm_email"))
    if alarm_email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", alarm_email):
        raise ContextError(f"context alarm_email={alarm_email!r}: not an e-mail address")

    quicksight = _text(context.get("quicksight_principal_arn"))
    if quicksight is not None and not quicksight.startswith("arn:"):
        raise ContextError(
            f"context quicksight_principal_arn={quicksight!r}: expected a QuickSight user or "
            "group ARN"
        )

    qs_role = _text(context.get("quicksight_service_role")) or QUICKSIGHT_SERVICE_ROLE
    if not ROLE_NAME_RE.match(qs_role):
        raise ContextError(
            f"context quicksight_service_role={qs_role!r}: expected an IAM role name (no path, "
            "no ARN), e.g. aws-quicksight-service-role-v0"
        )

    local = _bool(context.get("local"), "local", False)
    connector = _bool(context.get("dynamodb_connector"), "dynamodb_connector", True)
    results_days = _int(
        context.get("results_retention_days"),
        "results_retention_days",
        defaults.results_retention_days,
        1,
    )
    cutoff = _int(
        context.get("athena_bytes_scanned_cutoff"),
        "athena_bytes_scanned_cutoff",
        defaults.athena_bytes_scanned_cutoff,
        10 * 1024 * 1024,
    )
    error_log_days = _int(
        context.get("rule_error_log_retention_days"),
        "rule_error_log_retention_days",
        defaults.rule_error_log_retention_days,
        1,
    )
    assert results_days is not None and cutoff is not None and error_log_days is not None
    return StackSettings(
        prefix=prefix,
        retention_days=_int(context.get("retention_days"), "retention_days", None, 1),
        crawler_schedule=schedule,
        results_retention_days=results_days,
        athena_bytes_scanned_cutoff=cutoff,
        # The emulator cannot deploy the connector (a Serverless Application Repository app).
        dynamodb_connector=connector and not local,
        retain_data=_bool(context.get("retain_data"), "retain_data", False),
        alarm_email=alarm_email,
        quicksight_principal_arn=quicksight,
        quicksight_service_role=qs_role,
        rule_error_log_retention_days=error_log_days,
        table_stream=_bool(context.get("table_stream"), "table_stream", True),
        local=local,
    )


CONTEXT_KEYS = (
    "prefix",
    "retention_days",
    "crawler_schedule",
    "results_retention_days",
    "athena_bytes_scanned_cutoff",
    "dynamodb_connector",
    "retain_data",
    "alarm_email",
    "quicksight_principal_arn",
    "quicksight_service_role",
    "rule_error_log_retention_days",
    "table_stream",
    "local",
)


def build_app(
    app: cdk.App | None = None, *, environ: Mapping[str, str] | None = None
) -> tuple[cdk.App, IotMonitoringStack]:
    """Create the app (or use ``app``), add cdk-nag and the stack. Does not synthesize."""
    app = app or cdk.App()
    environ = os.environ if environ is None else environ
    # The log bucket must admit S3 log delivery by bucket policy, not by the legacy ACL
    # (object ownership is BucketOwnerEnforced). cdk.json sets this flag; set it here too so
    # the app also works when built without the cdk CLI.
    if app.node.try_get_context(S3_LOGS_BY_POLICY_FLAG) is None:
        app.node.set_context(S3_LOGS_BY_POLICY_FLAG, True)
    context = {
        key: app.node.try_get_context(key)
        for key in CONTEXT_KEYS
        if app.node.try_get_context(key) is not None
    }
    settings = settings_from_context(context)
    names = ResourceNames(settings.prefix)

    # Offline synth needs no credentials: without CDK_DEFAULT_ACCOUNT the stack stays
    # account-agnostic (names use the AWS::AccountId pseudo parameter).
    env = cdk.Environment(
        account=environ.get("CDK_DEFAULT_ACCOUNT") or None,
        region=environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION,
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = IotMonitoringStack(
        app,
        names.stack,
        stack_name=names.stack,
        env=env,
        settings=settings,
        description=(
            "wio-terminal-aws-connect level 1: Wio Terminal -> AWS IoT Core -> DynamoDB -> "
            "Glue -> Athena"
        ),
    )
    cdk.Tags.of(stack).add("project", "wio-terminal-aws-connect")
    cdk.Tags.of(stack).add("prefix", settings.prefix)
    return app, stack


if __name__ == "__main__":
    built_app, _ = build_app()
    built_app.synth()
