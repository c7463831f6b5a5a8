"""DynamoDB table and S3 buckets: names, keys, encryption, TLS, lifecycle, removal."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from synth_helpers import ACCOUNT, REGION, Synth, arn_join, get_att, ref

pytestmark = pytest.mark.unit


def test_table_name_keys_and_billing(default: Synth) -> None:
    default.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "attempt-dynamodb-sensor-data",
            "KeySchema": [
                {"AttributeName": "device_id", "KeyType": "HASH"},
                {"AttributeName": "timestamp", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "device_id", "AttributeType": "S"},
                {"AttributeName": "timestamp", "AttributeType": "N"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )


def test_table_has_pitr_and_encryption(synths: dict[str, Synth]) -> None:
    for synth in synths.values():
        _, table = synth.one("AWS::DynamoDB::Table")
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }, synth.name
        assert props["SSESpecification"] == {"SSEEnabled": True}, synth.name


def test_ttl_off_by_default_and_on_expires_at_with_retention(default: Synth, custom: Synth) -> None:
    _, table = default.one("AWS::DynamoDB::Table")
    assert "TimeToLiveSpecification" not in table["Properties"]
    _, table = custom.one("AWS::DynamoDB::Table")
    assert table["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }
    assert table["Properties"]["TableName"] == "demo-dynamodb-sensor-data"


def test_table_removal_policy_follows_retain_data(
    default: Synth, local: Synth, custom: Synth
) -> None:
    for synth, policy in ((default, "Delete"), (local, "Delete"), (custom, "Retain")):
        _, table = synth.one("AWS::DynamoDB::Table")
        assert table["DeletionPolicy"] == policy, synth.name
        assert table["UpdateReplacePolicy"] == policy, synth.name


def _bucket_name(prefix: str, kind: str) -> dict[str, Any]:
    return arn_join(f"{prefix}-s3-athena-{kind}-", ACCOUNT, "-", REGION)


@pytest.mark.parametrize("kind", ["results", "spill"])
def test_athena_bucket_names(kind: str, default: Synth, custom: Synth) -> None:
    default.template.has_resource_properties(
        "AWS::S3::Bucket", {"BucketName": _bucket_name("attempt", kind)}
    )
    custom.template.has_resource_properties(
        "AWS::S3::Bucket", {"BucketName": _bucket_name("demo", kind)}
    )


def test_every_bucket_blocks_public_access_and_is_encrypted(synths: dict[str, Synth]) -> None:
    for synth in synths.values():
        buckets = synth.resources("AWS::S3::Bucket")
        assert len(buckets) == 3, synth.name
        for bucket in buckets.values():
            props = bucket["Properties"]
            assert props["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
            assert props["BucketEncryption"] == {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            }
            assert props["OwnershipControls"] == {
                "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
            }
            assert "AccessControl" not in props


def test_every_bucket_policy_denies_non_tls_and_old_tls(synths: dict[str, Synth]) -> None:
    for synth in synths.values():
        policies = synth.resources("AWS::S3::BucketPolicy")
        assert len(policies) == 3, synth.name
        for policy in policies.values():
            bucket = policy["Properties"]["Bucket"]["Ref"]
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
            resources = [get_att(bucket), arn_join(get_att(bucket), "/*")]
            assert {
                "Action": "s3:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Resource": resources,
            } in statements
            assert {
                "Action": "s3:*",
                "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Resource": resources,
            } in statements
            allows = [s for s in statements if s["Effect"] == "Allow"]
            for allow in allows:
                if allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}:
                    # S3 log delivery: only PutObject, only from this account.
                    assert allow["Action"] == "s3:PutObject"
                    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
                else:
                    # The auto-delete custom resource's role (not when local or retain_data).
                    assert synth.stack.settings.auto_delete_objects, synth.name
                    assert allow["Principal"] == {
                        "AWS": get_att(
                            "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092"
                        )
                    }
                    assert allow["Action"] == [
                        "s3:DeleteObject*",
                        "s3:GetBucket*",
                        "s3:List*",
                        "s3:PutBucketPolicy",
                    ]
                    assert allow["Resource"] == resources


def _bucket(synth: Synth, construct: Any) -> dict[str, Any]:
    return synth.props(construct)


def test_lifecycle_rules(default: Synth, custom: Synth) -> None:
    for synth, results_days in ((default, 30), (custom, 7)):
        results = _bucket(synth, synth.stack.storage.results_bucket)
        assert results["LifecycleConfiguration"]["Rules"] == [
            {
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                "ExpirationInDays": results_days,
                "Id": f"expire-after-{results_days}-days",
                "Status": "Enabled",
            }
        ]
        spill = _bucket(synth, synth.stack.storage.spill_bucket)
        assert spill["LifecycleConfiguration"]["Rules"] == [
            {
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                "ExpirationInDays": 1,
                "Id": "expire-after-1-days",
                "Status": "Enabled",
            }
        ]
        logs = _bucket(synth, synth.stack.storage.access_logs_bucket)
        assert logs["LifecycleConfiguration"]["Rules"] == [
            {"ExpirationInDays": 90, "Id": "expire-access-logs", "Status": "Enabled"}
        ]


def test_access_logging_to_the_log_bucket(default: Synth) -> None:
    storage = default.stack.storage
    log_bucket = default.logical_id(storage.access_logs_bucket)
    for bucket, prefix in ((storage.results_bucket, "athena-results/"),
                           (storage.spill_bucket, "athena-spill/")):  # fmt: skip
        assert _bucket(default, bucket)["LoggingConfiguration"] == {
            "DestinationBucketName": ref(log_bucket),
            "LogFilePrefix": prefix,
        }
    assert "LoggingConfiguration" not in _bucket(default, storage.access_logs_bucket)


def test_removal_and_auto_delete_switches(default: Synth, local: Synth, custom: Synth) -> None:
    # default: DESTROY + auto-delete (`cdk destroy` removes everything, data included)
    for bucket in default.resources("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"
    assert len(default.resources("Custom::S3AutoDeleteObjects")) == 3
    # local: DESTROY, but no auto-delete custom resource (MiniStack cannot run it)
    for bucket in local.resources("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"
    assert local.resources("Custom::S3AutoDeleteObjects") == {}
    assert local.resources("AWS::Lambda::Function") == {}
    # retain_data: RETAIN and nothing deletes objects
    for bucket in custom.resources("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Retain"
    assert custom.resources("Custom::S3AutoDeleteObjects") == {}


def test_log_groups_follow_removal_policy(default: Synth, custom: Synth) -> None:
    for synth, policy in ((default, "Delete"), (custom, "Retain")):
        for group in synth.resources("AWS::Logs::LogGroup").values():
            assert group["DeletionPolicy"] == policy, synth.name


def test_bucket_match_helper_sanity(default: Synth) -> None:
    default.template.resource_count_is("AWS::S3::Bucket", 3)
    default.template.has_resource("AWS::S3::Bucket", {"DeletionPolicy": Match.exact("Delete")})
