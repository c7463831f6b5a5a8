"""Amazon Data Firehose (Direct PUT) -> Parquet on S3, with the partitioner and its alarms.

* Record format conversion: JSON (OpenX) to Parquet (Snappy) against the Glue table.
* Dynamic partitioning by ``dt`` from a small processor Lambda (``partitionKeyFromLambda``):
  the UTC day of the readings' measurement time, not their arrival time. AWS documents
  both; the emulator runs it the same way. A jq ``MetadataExtraction`` could do it without a
  Lambda, but the records hold several concatenated readings (Firehose bills per record
  rounded up to 5 KB), which jq would need record deaggregation for.
* Errors (``processing-failed``, ``format-conversion-failed``) go to the error prefix, never
  dropped, and the alarms below fire on failed conversions and on stale delivery.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from analytics_infra.functions import PythonFunction
from analytics_infra.lake_storage import LakeStorage
from infra.nag import acknowledge
from wio_contract.names import ResourceNames

#: Dynamic partitioning and format conversion both need a 64 MiB buffer at least.
BUFFER_SIZE_MB = 64
PROCESSOR_BUFFER_MB = "1"
PROCESSOR_BUFFER_SECONDS = "60"


class LakeDelivery(Construct):
    """``delivery_stream``, its ``role``, the ``partitioner`` and the ``alarms``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        storage: LakeStorage,
        code: lambda_.Code,
        buffer_seconds: int,
        alarm_topic: sns.ITopic,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.stream_name = names.lake_delivery_stream
        self.partitioner = PythonFunction(
            self,
            "Partitioner",
            code=code,
            handler="wio_lake_functions.partitioner.handler",
            description="Firehose processor: dt partition key = UTC measurement day",
            environment={},
            timeout=cdk.Duration.minutes(1),
            memory_size=256,
            removal_policy=removal_policy,
        )

        self.role = iam.Role(
            self,
            "Role",
            description=f"Firehose {self.stream_name}: writes Parquet to the lake bucket",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            ),
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=removal_policy,
        )
        self.log_stream = logs.LogStream(
            self, "S3Delivery", log_group=self.log_group, removal_policy=removal_policy
        )
        bucket = storage.bucket
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="LakeBucket",
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="LakeObjects",
                actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                resources=[
                    bucket.arn_for_objects(f"{storage.table_prefix}/*"),
                    bucket.arn_for_objects(f"{storage.error_prefix}/*"),
                ],
            )
        )
        glue_arn = f"arn:{cdk.Aws.PARTITION}:glue:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="TableSchema",
                actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                resources=[
                    f"{glue_arn}:catalog",
                    f"{glue_arn}:database/{storage.database_name}",
                    f"{glue_arn}:table/{storage.database_name}/{storage.table_name}",
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="Partitioner",
                actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                resources=[self.partitioner.function.function_arn],
            )
        )
        self.log_group.grant_write(self.role)

        s3_config = firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
            bucket_arn=bucket.bucket_arn,
            role_arn=self.role.role_arn,
            prefix=f"{storage.table_prefix}/dt=!{{partitionKeyFromLambda:dt}}/",
            error_output_prefix=(
                f"{storage.error_prefix}/!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/"
            ),
            buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                interval_in_seconds=buffer_seconds, size_in_m_bs=BUFFER_SIZE_MB
            ),
            # Parquet compresses inside the file (Snappy); Firehose's own compression stays off.
            compression_format="UNCOMPRESSED",
            file_extension=".parquet",
            cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                enabled=True,
                log_group_name=self.log_group.log_group_name,
                log_stream_name=self.log_stream.log_stream_name,
            ),
            dynamic_partitioning_configuration=(
                firehose.CfnDeliveryStream.DynamicPartitioningConfigurationProperty(
                    enabled=True,
                    retry_options=firehose.CfnDeliveryStream.RetryOptionsProperty(
                        duration_in_seconds=300
                    ),
                )
            ),
            processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                enabled=True,
                processors=[
                    firehose.CfnDeliveryStream.ProcessorProperty(
                        type="Lambda",
                        parameters=[
                            _param("LambdaArn", self.partitioner.function.function_arn),
                            _param("BufferSizeInMBs", PROCESSOR_BUFFER_MB),
                            _param("BufferIntervalInSeconds", PROCESSOR_BUFFER_SECONDS),
                        ],
                    )
                ],
            ),
            data_format_conversion_configuration=_conversion(storage, self.role.role_arn),
        )
        self.delivery_stream = firehose.CfnDeliveryStream(
            self,
            "DeliveryStream",
            delivery_stream_name=self.stream_name,
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=(
                firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                    key_type="AWS_OWNED_CMK"
                )
            ),
            extended_s3_destination_configuration=s3_config,
        )
        self.delivery_stream.node.add_dependency(storage.table)
        policy = self.role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        self.delivery_stream.node.add_dependency(policy)
        self.stream_arn = self.delivery_stream.attr_arn
        self.alarms = self._alarms(alarm_topic, buffer_seconds)
        self._acknowledge(stack, storage)

    def _metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/Firehose",
            metric_name=name,
            dimensions_map={"DeliveryStreamName": self.stream_name},
            statistic=statistic,
            period=cdk.Duration.minutes(5),
        )

    def _alarms(self, topic: sns.ITopic, buffer_seconds: int) -> list[cloudwatch.Alarm]:
        failed = cloudwatch.Alarm(
            self,
            "FailedConversionAlarm",
            alarm_description=(
                "Firehose could not convert records to Parquet; they are kept under errors/ "
                "in the lake bucket"
            ),
            metric=self._metric("FailedConversion.Records", "Sum"),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        freshness = cloudwatch.Alarm(
            self,
            "DataFreshnessAlarm",
            alarm_description="The oldest record in Firehose waits far longer than its buffer",
            metric=self._metric("DeliveryToS3.DataFreshness", "Maximum"),
            threshold=buffer_seconds + 900,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=2,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        processing = cloudwatch.Alarm(
            self,
            "ProcessingFailedAlarm",
            alarm_description="The partitioner refused records; they are kept under errors/",
            metric=self._metric("ExecuteProcessing.Success", "Minimum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarms = [failed, freshness, processing]
        for alarm in alarms:
            alarm.add_alarm_action(cw_actions.SnsAction(topic))
        return alarms

    def _acknowledge(self, stack: cdk.Stack, storage: LakeStorage) -> None:
        bucket_cfn = storage.bucket.node.default_child
        assert isinstance(bucket_cfn, cdk.CfnElement)
        bucket_id = stack.get_logical_id(bucket_cfn)
        for prefix in (storage.table_prefix, storage.error_prefix):
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}/*]",
                reason=(
                    "Firehose names each object itself (stream name, time, random id) under this "
                    "prefix; the grant is limited to the prefix of the lake bucket."
                ),
            )


def _param(name: str, value: str) -> firehose.CfnDeliveryStream.ProcessorParameterProperty:
    return firehose.CfnDeliveryStream.ProcessorParameterProperty(
        parameter_name=name, parameter_value=value
    )


def _conversion(
    storage: LakeStorage, role_arn: str
) -> firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty:
    return firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty(
        enabled=True,
        input_format_configuration=firehose.CfnDeliveryStream.InputFormatConfigurationProperty(
            deserializer=firehose.CfnDeliveryStream.DeserializerProperty(
                open_x_json_ser_de=firehose.CfnDeliveryStream.OpenXJsonSerDeProperty(
                    case_insensitive=False
                )
            )
        ),
        output_format_configuration=firehose.CfnDeliveryStream.OutputFormatConfigurationProperty(
            serializer=firehose.CfnDeliveryStream.SerializerProperty(
                parquet_ser_de=firehose.CfnDeliveryStream.ParquetSerDeProperty(compression="SNAPPY")
            )
        ),
        schema_configuration=firehose.CfnDeliveryStream.SchemaConfigurationProperty(
            catalog_id=cdk.Aws.ACCOUNT_ID,
            database_name=storage.database_name,
            table_name=storage.table_name,
            region=cdk.Aws.REGION,
            role_arn=role_arn,
            version_id="LATEST",
        ),
    )
