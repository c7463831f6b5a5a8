"""Forecasts: an hourly job writes the next hours per device into the forecast table."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from analytics_infra.alert_store import table
from analytics_infra.detection import REGISTRY_REASON, grant_device_reads
from analytics_infra.functions import PythonFunction, Schedule
from infra.nag import acknowledge
from wio_contract.names import ResourceNames

HORIZON_HOURS = 6


class Forecasting(Construct):
    """``table`` (device_id + ts hour), ``job`` and its ``schedule``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        code: lambda_.Code,
        schedule: str,
        history_days: int,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = table(
            self, "Table", name=names.forecast_table, sort_key="ts", ttl="expires_at",
            removal_policy=removal_policy,
        )  # fmt: skip
        self.job = PythonFunction(
            self,
            "Job",
            code=code,
            handler="wio_lake_functions.forecast.handler",
            description=f"Forecast of the next {HORIZON_HOURS} h per device",
            environment={
                "READINGS_TABLE": names.table,
                "FORECAST_TABLE": self.table.table_name,
                "FORECAST_HISTORY_DAYS": str(history_days),
                "FORECAST_HORIZON_HOURS": str(HORIZON_HOURS),
            },
            timeout=cdk.Duration.minutes(10),
            memory_size=1024,
            removal_policy=removal_policy,
        )
        grant_device_reads(self.job.role, names)
        acknowledge(self.job.role, "AwsSolutions-IAM5[Resource::*]", reason=REGISTRY_REASON)
        self.table.grant(self.job.role, "dynamodb:PutItem")
        self.schedule = Schedule(
            self,
            "Schedule",
            name=f"{names.prefix}-scheduler-forecast",
            expression=schedule,
            target=self.job.function,
            description="Writes the next hours' forecast per device",
        )
