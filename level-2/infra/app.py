#!/usr/bin/env python3
"""CDK app of level 2. The only place that reads CDK context and the environment.

Context (``cdk deploy -c key=value`` or ``cdk.json``), all optional:

==================================  ==============================================
``prefix``                          the level-1 prefix (default ``attempt``)
``local``                           target the MiniStack emulator: no named queries
``lake``                            stream -> Firehose -> Parquet lake (true)
``detector``                        anomaly detector + nightly baseline (true)
``forecast``                        hourly 6-h forecast job (true)
``detector_schedule``               ``rate(5 minutes)``
``baseline_schedule``               ``cron(0 18 * * ? *)`` (03:00 JST)
``forecast_schedule``               ``rate(1 hour)``
``alert_email``                     e-mail subscription of the alerts topic
``alert_cooldown_hours``            hours before the same kind alerts again (6)
``baseline_days``                   days of history in a baseline (14)
``forecast_history_days``           days of readings a forecast reads (4)
``stream_batch_size``               stream batch size (500)
``stream_batching_window_seconds``  stream batching window (60)
``lake_buffer_seconds``             Firehose buffer interval (300)
``lake_error_retention_days``       days delivery errors are kept (30)
``retain_data``                     keep tables and the lake bucket on destroy (false)
==================================  ==============================================
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analytics_infra.bundle import DEFAULT_BUNDLE_DIR, build_bundle  # noqa: E402
from analytics_infra.settings import CONTEXT_KEYS, settings_from_context  # noqa: E402
from analytics_infra.stack import AnalyticsStack  # noqa: E402
from wio_contract.names import DEFAULT_REGION, ResourceNames  # noqa: E402

S3_LOGS_BY_POLICY_FLAG = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


def build_app(
    app: cdk.App | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    bundle_dir: Path = DEFAULT_BUNDLE_DIR,
) -> tuple[cdk.App, AnalyticsStack]:
    """Create the app (or use ``app``), add cdk-nag and the stack. Does not synthesize."""
    app = app or cdk.App()
    environ = os.environ if environ is None else environ
    if app.node.try_get_context(S3_LOGS_BY_POLICY_FLAG) is None:
        app.node.set_context(S3_LOGS_BY_POLICY_FLAG, True)
    context = {
        key: app.node.try_get_context(key)
        for key in CONTEXT_KEYS
        if app.node.try_get_context(key) is not None
    }
    settings = settings_from_context(context)
    names = ResourceNames(settings.prefix)
    env = cdk.Environment(
        account=environ.get("CDK_DEFAULT_ACCOUNT") or None,
        region=environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION,
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = AnalyticsStack(
        app,
        names.analytics_stack,
        stack_name=names.analytics_stack,
        env=env,
        settings=settings,
        bundle_dir=build_bundle(bundle_dir),
        description=(
            "wio-terminal-aws-connect level 2: readings lake (Firehose -> Parquet -> Athena), "
            "anomaly alerts and forecasts"
        ),
    )
    cdk.Tags.of(stack).add("project", "wio-terminal-aws-connect")
    cdk.Tags.of(stack).add("prefix", settings.prefix)
    cdk.Tags.of(stack).add("level", "2")
    return app, stack


if __name__ == "__main__":
    built_app, _ = build_app()
    built_app.synth()
