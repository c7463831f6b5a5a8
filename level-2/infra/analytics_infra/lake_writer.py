"""The level-1 table's stream -> the stream writer Lambda -> Firehose.

The event source mapping reads the imported NEW_IMAGE stream in batches (size and window from
context), only INSERT events (a filter: filtered events cost no invocation), reports partial
batch failures, retries a bounded number of times with bisection, and sends what still fails
to an SQS queue (on-failure destination: the batch's shard and sequence range, to replay).
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from analytics_infra.functions import PythonFunction
from infra.nag import acknowledge

RETRY_ATTEMPTS = 5
MAX_RECORD_AGE_HOURS = 24
INSERT_ONLY_FILTER = {"eventName": ["INSERT"]}


class LakeWriter(Construct):
    """``writer`` (function), ``failures`` (queue), ``mapping`` and its alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream_arn: str,
        delivery_stream_name: str,
        delivery_stream_arn: str,
        code: lambda_.Code,
        batch_size: int,
        batching_window_seconds: int,
        alarm_topic: sns.ITopic,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.writer = PythonFunction(
            self,
            "Writer",
            code=code,
            handler="wio_lake_functions.stream_writer.handler",
            description="Level-1 table stream -> Firehose, one record per batch and day",
            environment={"DELIVERY_STREAM_NAME": delivery_stream_name},
            timeout=cdk.Duration.minutes(1),
            memory_size=256,
            removal_policy=removal_policy,
        )
        role = self.writer.role
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PutToLake",
                actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                resources=[delivery_stream_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTableStream",
                actions=[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                ],
                resources=[stream_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListStreams", actions=["dynamodb:ListStreams"], resources=["*"]
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            reason=(
                "dynamodb:ListStreams has no resource-level permissions (AWS requires '*'); "
                "Lambda's stream poller calls it. Reading is limited to the imported stream."
            ),
        )

        self.failures = sqs.Queue(
            self,
            "Failures",
            retention_period=cdk.Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            removal_policy=removal_policy,
        )
        acknowledge(
            self.failures,
            "AwsSolutions-SQS3",
            reason=(
                "This queue is itself the on-failure destination of the stream mapping (it "
                "holds the shard and sequence range of batches that failed); a queue behind it "
                "would only move the same records again."
            ),
        )
        self.failures.grant_send_messages(role)

        self.mapping = lambda_.CfnEventSourceMapping(
            self,
            "Mapping",
            function_name=self.writer.function.function_name,
            event_source_arn=stream_arn,
            starting_position="LATEST",
            batch_size=batch_size,
            maximum_batching_window_in_seconds=batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=RETRY_ATTEMPTS,
            maximum_record_age_in_seconds=MAX_RECORD_AGE_HOURS * 3600,
            filter_criteria=lambda_.CfnEventSourceMapping.FilterCriteriaProperty(
                filters=[
                    lambda_.CfnEventSourceMapping.FilterProperty(
                        pattern=json.dumps(INSERT_ONLY_FILTER)
                    )
                ]
            ),
            destination_config=lambda_.CfnEventSourceMapping.DestinationConfigProperty(
                on_failure=lambda_.CfnEventSourceMapping.OnFailureProperty(
                    destination=self.failures.queue_arn
                )
            ),
        )
        self.writer.depend_on_policy(self.mapping)

        self.alarm = cloudwatch.Alarm(
            self,
            "FailuresAlarm",
            alarm_description=(
                "Stream batches the lake writer gave up on (replay them from the queue's "
                "shard and sequence range, or run `wio-lake backfill`)"
            ),
            metric=self.failures.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(5)
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))
