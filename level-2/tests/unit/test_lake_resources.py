"""The lake: bucket, Glue table from the contract, Firehose, stream mapping, named queries."""

from __future__ import annotations

import json

import pytest

from synth_support import Synth, flat
from wio_contract.fields import CONTRACT

pytestmark = pytest.mark.unit


def test_glue_table_columns_come_from_the_contract(default: Synth) -> None:
    table = default.one("AWS::Glue::Table")["TableInput"]
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    expected = [(f.name, f.glue_type) for f in CONTRACT.stored_fields if f.name != "raw_payload"]
    assert columns == expected
    # Epoch seconds stay bigint: Parquet conversion refuses epoch numbers for a timestamp.
    assert dict(columns)["timestamp"] == "bigint"
    assert table["PartitionKeys"] == [
        {"Name": "dt", "Type": "string", "Comment": "UTC day, yyyy-MM-dd"}
    ]
    assert default.one("AWS::Glue::Database")["DatabaseInput"]["Name"] == "attempt_lake"
    assert table["Name"] == "readings"


def test_glue_table_uses_partition_projection(default: Synth) -> None:
    params = default.one("AWS::Glue::Table")["TableInput"]["Parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.dt.type"] == "date"
    assert params["projection.dt.format"] == "yyyy-MM-dd"
    assert params["projection.dt.range"] == "2020-01-01,NOW"
    template = flat(params["storage.location.template"])
    assert "/readings/dt=${dt}/" in template
    assert not default.resources("AWS::Glue::Crawler")


def test_lake_bucket_is_private_encrypted_tls_only_logged(default: Synth) -> None:
    buckets = default.resources("AWS::S3::Bucket")
    lake = next(b["Properties"] for b in buckets.values() if "BucketName" in b["Properties"])
    assert "attempt-s3-sensor-lake-" in flat(lake["BucketName"])
    assert lake["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }  # fmt: skip
    sse = lake["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert lake["LoggingConfiguration"]["LogFilePrefix"] == "lake/"
    rules = {r["Id"]: r for r in lake["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-delivery-errors"]["Prefix"] == "errors/"
    assert rules["expire-delivery-errors"]["ExpirationInDays"] == 30
    policies = flat(default.resources("AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


def test_firehose_converts_to_parquet_and_partitions_by_measurement_day(default: Synth) -> None:
    stream = default.one("AWS::KinesisFirehose::DeliveryStream")
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    s3 = stream["ExtendedS3DestinationConfiguration"]
    assert s3["Prefix"] == "readings/dt=!{partitionKeyFromLambda:dt}/"
    assert s3["ErrorOutputPrefix"].startswith("errors/!{firehose:error-output-type}/")
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert s3["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 64}
    conversion = s3["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    schema = conversion["SchemaConfiguration"]
    assert (schema["DatabaseName"], schema["TableName"]) == ("attempt_lake", "readings")
    processor = s3["ProcessingConfiguration"]["Processors"][0]
    assert processor["Type"] == "Lambda"
    assert s3["CloudWatchLoggingOptions"]["Enabled"] is True


def test_conversion_failures_and_stale_delivery_raise_alarms(default: Synth) -> None:
    alarms = {a["Properties"]["MetricName"]: a["Properties"]
              for a in default.resources("AWS::CloudWatch::Alarm").values()}  # fmt: skip
    assert alarms["FailedConversion.Records"]["Threshold"] == 0
    assert alarms["FailedConversion.Records"]["Namespace"] == "AWS/Firehose"
    assert alarms["DeliveryToS3.DataFreshness"]["Threshold"] == 300 + 900
    assert "ApproximateNumberOfMessagesVisible" in alarms
    assert all(a["AlarmActions"] for a in alarms.values())


def test_stream_mapping_is_batched_and_reports_partial_failures(default: Synth) -> None:
    mapping = default.one("AWS::Lambda::EventSourceMapping")
    assert mapping["EventSourceArn"] == {"Fn::ImportValue": "attempt-table-stream-arn"}
    assert mapping["BatchSize"] == 500
    assert mapping["MaximumBatchingWindowInSeconds"] == 60
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 5
    assert mapping["StartingPosition"] == "LATEST"
    assert "OnFailure" in mapping["DestinationConfig"]
    pattern = json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"])
    assert pattern == {"eventName": ["INSERT"]}


def test_context_changes_batching_and_buffer(custom: Synth) -> None:
    assert custom.one("AWS::Lambda::EventSourceMapping")["BatchSize"] == 200
    s3 = custom.one("AWS::KinesisFirehose::DeliveryStream")["ExtendedS3DestinationConfiguration"]
    assert s3["BufferingHints"]["IntervalInSeconds"] == 900
    table = custom.one("AWS::Glue::Database")["DatabaseInput"]["Name"]
    assert table == "demo_lake"


def test_named_queries_on_aws_not_in_the_emulator(default: Synth, local: Synth) -> None:
    queries = default.resources("AWS::Athena::NamedQuery")
    names = {q["Properties"]["Name"] for q in queries.values()}
    assert names == {
        "attempt-lake-daily-stats-all-devices",
        "attempt-lake-hourly-averages-one-device",
    }
    for query in queries.values():
        props = query["Properties"]
        assert props["WorkGroup"] == "attempt-athena-workgroup-sensor"
        assert props["Database"] == "attempt_lake"
        assert "dt >=" in props["QueryString"]
        assert "${" not in props["QueryString"]
    assert not local.resources("AWS::Athena::NamedQuery")


def test_lambda_functions_use_the_bundle_and_python_312(default: Synth) -> None:
    functions = default.resources("AWS::Lambda::Function")
    handlers = sorted(f["Properties"]["Handler"] for f in functions.values())
    assert handlers == [
        "wio_lake_functions.baseline.handler",
        "wio_lake_functions.detector.handler",
        "wio_lake_functions.forecast.handler",
        "wio_lake_functions.partitioner.handler",
        "wio_lake_functions.stream_writer.handler",
    ]
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.12"
        assert props["Environment"]["Variables"]["WIO_SCHEMA_PATH"] == (
            "wio_contract/sensor-payload.schema.json"
        )
    assets = {flat(f["Properties"]["Code"]) for f in functions.values()}
    assert len(assets) == 1, "one shared bundle"


def test_parts_can_be_switched_off(synths: dict[str, Synth]) -> None:
    off = synths["lake_off"]
    assert not off.resources("AWS::KinesisFirehose::DeliveryStream")
    assert not off.resources("AWS::Lambda::EventSourceMapping")
    handlers = {f["Properties"]["Handler"] for f in off.resources("AWS::Lambda::Function").values()}
    assert handlers == {"wio_lake_functions.forecast.handler"}
    custom = synths["custom"]
    assert not any("forecast" in f["Properties"]["Handler"]
                   for f in custom.resources("AWS::Lambda::Function").values())  # fmt: skip
