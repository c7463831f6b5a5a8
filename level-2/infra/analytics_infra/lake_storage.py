"""The lake's storage: the S3 bucket, its access-log bucket, and the Glue table over it.

Layout: ``s3://<lake bucket>/readings/dt=YYYY-MM-DD/<object>.parquet`` (Hive style, so the
emulator's Athena sees ``dt`` as a partition column too) and Firehose errors under
``errors/<error-output-type>/YYYY/MM/dd/``, outside the table's location and expired after
``error_retention_days``.

The Glue table ``<prefix>_lake.readings`` is defined here from the level-1 contract (every
stored field but ``raw_payload``; epoch seconds stay ``bigint``) with partition projection on
``dt``, so no crawler and no ``MSCK REPAIR`` are needed.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wio_contract.names import ResourceNames
from wio_lake_functions.records import lake_fields

TABLE_PREFIX = "readings"
ERROR_PREFIX = "errors"
PARTITION_KEY = "dt"
PROJECTION_START = "2020-01-01"  # the contract's earliest allowed timestamp
ACCESS_LOG_RETENTION_DAYS = 90
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def glue_columns() -> list[glue.CfnTable.ColumnProperty]:
    return [
        glue.CfnTable.ColumnProperty(
            name=f.name,
            type=f.glue_type,
            comment=(f"{f.title} [{f.unit}]" if f.unit else f.title)[:255],
        )
        for f in lake_fields()
    ]


class LakeStorage(Construct):
    """``bucket``, ``access_logs_bucket``, ``database`` and ``table``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        error_retention_days: int,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 log delivery needs SSE-S3
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=cdk.Duration.days(ACCESS_LOG_RETENTION_DAYS),
                )
            ],
            removal_policy=removal_policy,
        )
        self.bucket_name = names.lake_bucket(cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=self.bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="lake/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-delivery-errors",
                    prefix=f"{ERROR_PREFIX}/",
                    expiration=cdk.Duration.days(error_retention_days),
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                ),
            ],
            removal_policy=removal_policy,
        )
        self.table_prefix = TABLE_PREFIX
        self.error_prefix = ERROR_PREFIX
        self.location = f"s3://{self.bucket.bucket_name}/{TABLE_PREFIX}/"

        self.database_name = names.lake_database
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=cdk.Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=names.lake_database,
                description="Wio Terminal readings lake (Parquet on S3, written by Firehose)",
            ),
        )
        self.table_name = names.lake_table
        self.table = glue.CfnTable(
            self,
            "Table",
            catalog_id=cdk.Aws.ACCOUNT_ID,
            database_name=names.lake_database,
            table_input=glue.CfnTable.TableInputProperty(
                name=names.lake_table,
                description="One row per reading; partition dt = UTC day of the measurement",
                table_type="EXTERNAL_TABLE",
                parameters={
                    "classification": "parquet",
                    "EXTERNAL": "TRUE",
                    "parquet.compression": "SNAPPY",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"{PROJECTION_START},NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": f"{self.location}{PARTITION_KEY}=${{dt}}/",
                },
                partition_keys=[
                    glue.CfnTable.ColumnProperty(
                        name=PARTITION_KEY, type="string", comment="UTC day, yyyy-MM-dd"
                    )
                ],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=glue_columns(),
                    location=self.location,
                    input_format=PARQUET_INPUT,
                    output_format=PARQUET_OUTPUT,
                    serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=PARQUET_SERDE),
                ),
            ),
        )
        self.table.node.add_dependency(self.database)
