"""``<prefix>-iot-analytics-stack``: level 2 on top of the level-1 stack.

Composes the constructs and wires what crosses between them; every resource lives in its
construct. Deploy after level 1 (it imports the level-1 table's stream ARN export) and
destroy before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from analytics_infra.alert_store import AlertStore
from analytics_infra.detection import Detection
from analytics_infra.forecasting import Forecasting
from analytics_infra.lake_delivery import LakeDelivery
from analytics_infra.lake_storage import LakeStorage
from analytics_infra.lake_writer import LakeWriter
from analytics_infra.named_queries import LakeQueries
from analytics_infra.settings import AnalyticsSettings
from wio_contract.names import ResourceNames

OUTPUT_LAKE_BUCKET = "LakeBucketName"
OUTPUT_LAKE_DATABASE = "LakeDatabaseName"
OUTPUT_LAKE_TABLE = "LakeTableName"
OUTPUT_DELIVERY_STREAM = "LakeDeliveryStreamName"
OUTPUT_WRITER_FUNCTION = "LakeWriterFunctionName"
OUTPUT_FAILURE_QUEUE = "LakeWriterFailureQueueUrl"
OUTPUT_DETECTOR_FUNCTION = "DetectorFunctionName"
OUTPUT_BASELINE_FUNCTION = "BaselineFunctionName"
OUTPUT_FORECAST_FUNCTION = "ForecastFunctionName"
OUTPUT_ALERTS_TABLE = "AlertsTableName"
OUTPUT_STATE_TABLE = "DetectorStateTableName"
OUTPUT_FORECAST_TABLE = "ForecastTableName"
OUTPUT_ALERTS_TOPIC = "AlertsTopicArn"


class AnalyticsStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AnalyticsSettings,
        bundle_dir: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        names = ResourceNames(settings.prefix)
        self.resource_names = names
        removal = settings.removal_policy
        code = lambda_.Code.from_asset(str(bundle_dir))
        self.outputs: dict[str, str] = {}

        self.alerts = AlertStore(
            self, "Alerts", names=names, alert_email=settings.alert_email, removal_policy=removal
        )
        self._out(OUTPUT_ALERTS_TOPIC, self.alerts.topic.topic_arn, "SNS topic of alerts/alarms")
        self._out(OUTPUT_ALERTS_TABLE, self.alerts.alerts.table_name, "Alerts table")
        self._out(OUTPUT_STATE_TABLE, self.alerts.state.table_name, "Detector state table")

        self.lake: LakeStorage | None = None
        self.delivery: LakeDelivery | None = None
        self.writer: LakeWriter | None = None
        if settings.lake:
            self._lake(names, code, removal)
        self.detection: Detection | None = None
        if settings.detector:
            self.detection = Detection(
                self,
                "Detection",
                names=names,
                store=self.alerts,
                code=code,
                detector_schedule=settings.detector_schedule,
                baseline_schedule=settings.baseline_schedule,
                baseline_days=settings.baseline_days,
                cooldown_hours=settings.alert_cooldown_hours,
                removal_policy=removal,
            )
            self._out(OUTPUT_DETECTOR_FUNCTION, self.detection.detector.function.function_name,
                      "Anomaly detector function")  # fmt: skip
            self._out(OUTPUT_BASELINE_FUNCTION, self.detection.baseline.function.function_name,
                      "Baseline rebuild function")  # fmt: skip
        self.forecasting: Forecasting | None = None
        if settings.forecast:
            self.forecasting = Forecasting(
                self,
                "Forecasting",
                names=names,
                code=code,
                schedule=settings.forecast_schedule,
                history_days=settings.forecast_history_days,
                removal_policy=removal,
            )
            self._out(OUTPUT_FORECAST_FUNCTION, self.forecasting.job.function.function_name,
                      "Forecast function")  # fmt: skip
            self._out(OUTPUT_FORECAST_TABLE, self.forecasting.table.table_name, "Forecast table")

    def _lake(self, names: ResourceNames, code: lambda_.Code, removal: cdk.RemovalPolicy) -> None:
        settings = self.settings
        self.lake = LakeStorage(
            self,
            "LakeStorage",
            names=names,
            error_retention_days=settings.lake_error_retention_days,
            removal_policy=removal,
        )
        self.delivery = LakeDelivery(
            self,
            "LakeDelivery",
            names=names,
            storage=self.lake,
            code=code,
            buffer_seconds=settings.lake_buffer_seconds,
            alarm_topic=self.alerts.topic,
            removal_policy=removal,
        )
        self.writer = LakeWriter(
            self,
            "LakeWriter",
            stream_arn=cdk.Fn.import_value(names.table_stream_export),
            delivery_stream_name=self.delivery.stream_name,
            delivery_stream_arn=self.delivery.stream_arn,
            code=code,
            batch_size=settings.stream_batch_size,
            batching_window_seconds=settings.stream_batching_window_seconds,
            alarm_topic=self.alerts.topic,
            removal_policy=removal,
        )
        self.writer.mapping.node.add_dependency(self.delivery.delivery_stream)
        if settings.named_queries:
            self.queries = LakeQueries(self, "LakeQueries", names=names)
        self._out(OUTPUT_LAKE_BUCKET, self.lake.bucket.bucket_name, "S3 bucket of the lake")
        self._out(OUTPUT_LAKE_DATABASE, self.lake.database_name, "Glue database of the lake")
        self._out(OUTPUT_LAKE_TABLE, self.lake.table_name, "Glue table of the lake")
        self._out(OUTPUT_DELIVERY_STREAM, self.delivery.stream_name, "Firehose delivery stream")
        self._out(OUTPUT_WRITER_FUNCTION, self.writer.writer.function.function_name,
                  "Stream writer function")  # fmt: skip
        self._out(OUTPUT_FAILURE_QUEUE, self.writer.failures.queue_url,
                  "SQS queue of stream batches the writer gave up on")  # fmt: skip

    def _out(self, key: str, value: str, description: str) -> None:
        cdk.CfnOutput(self, key, value=value, description=description)
        self.outputs[key] = description
