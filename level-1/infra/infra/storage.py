"""Storage: the sensor-data DynamoDB table and the S3 buckets Athena needs.

* ``table``: one item per reading, ``device_id`` (S) / ``timestamp`` (N, epoch seconds).
* ``results_bucket``: Athena query results, expired after ``results_retention_days``.
* ``spill_bucket``: the Athena DynamoDB connector's spill area, expired after 1 day.
* ``access_logs_bucket``: S3 server access logs of the two buckets above.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wio_contract.names import ResourceNames

PARTITION_KEY = "device_id"
SORT_KEY = "timestamp"
TTL_ATTRIBUTE = "expires_at"
SPILL_PREFIX = "athena-spill"
RESULTS_PREFIX = "results"
SPILL_RETENTION_DAYS = 1
ACCESS_LOG_RETENTION_DAYS = 90


class SensorStorage(Construct):
    """DynamoDB table plus the results, spill and access-log buckets.

    Secure defaults: point-in-time recovery, encryption at rest everywhere, public access
    blocked, TLS-only bucket policies (TLS 1.2 minimum), S3 access logging.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
        auto_delete_objects: bool = True,
        ttl_enabled: bool = False,
        results_retention_days: int = 30,
        point_in_time_recovery: bool = True,
        stream: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        if results_retention_days < 1:
            raise ValueError("results_retention_days must be at least 1")
        # auto-delete needs a Lambda-backed custom resource; it only makes sense with DESTROY.
        auto_delete = auto_delete_objects and removal_policy == cdk.RemovalPolicy.DESTROY

        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=names.table,
            partition_key=dynamodb.Attribute(
                name=PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.NUMBER),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=point_in_time_recovery
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            # TTL works in epoch SECONDS; the rule writes expires_at = timestamp()/1000 + N.
            time_to_live_attribute=TTL_ATTRIBUTE if ttl_enabled else None,
            # NEW_IMAGE feeds the level-2 lake; a stream costs nothing until something reads it.
            stream=dynamodb.StreamViewType.NEW_IMAGE if stream else None,
            removal_policy=removal_policy,
        )

        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # S3 log delivery only supports SSE-S3 on the target bucket.
            encryption=s3.BucketEncryption.S3_MANAGED,
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
            auto_delete_objects=auto_delete,
        )
        # cdk-nag treats this bucket as a log destination (its policy admits S3 log
        # delivery), so it needs no access log of its own.

        self.results_bucket = self._bucket(
            "AthenaResultsBucket",
            bucket_name=names.results_bucket(cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION),
            expire_after_days=results_retention_days,
            log_prefix="athena-results/",
            removal_policy=removal_policy,
            auto_delete=auto_delete,
        )
        self.spill_bucket = self._bucket(
            "AthenaSpillBucket",
            bucket_name=names.spill_bucket(cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION),
            expire_after_days=SPILL_RETENTION_DAYS,
            log_prefix="athena-spill/",
            removal_policy=removal_policy,
            auto_delete=auto_delete,
        )
        self.spill_prefix = SPILL_PREFIX
        self.results_prefix = RESULTS_PREFIX

    def _bucket(
        self,
        construct_id: str,
        *,
        bucket_name: str,
        expire_after_days: int,
        log_prefix: str,
        removal_policy: cdk.RemovalPolicy,
        auto_delete: bool,
    ) -> s3.Bucket:
        return s3.Bucket(
            self,
            construct_id,
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=log_prefix,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=f"expire-after-{expire_after_days}-days",
                    expiration=cdk.Duration.days(expire_after_days),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete,
        )
