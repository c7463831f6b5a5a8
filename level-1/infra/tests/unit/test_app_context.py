"""app.py: context parsing and validation, stack name/env, and the stack outputs."""

from __future__ import annotations

from typing import Any

import pytest

import app as app_module
from wio_contract import names as n
from infra.infra_stack import IOT_ENDPOINT_COMMAND, StackSettings, log_retention
from synth_helpers import ALARM_EMAIL, QUICKSIGHT_ARN, Synth

pytestmark = pytest.mark.unit

settings_from_context = app_module.settings_from_context


def test_defaults() -> None:
    assert settings_from_context({}) == StackSettings(
        prefix="attempt",
        retention_days=None,
        crawler_schedule="cron(0 2 * * ? *)",
        results_retention_days=30,
        athena_bytes_scanned_cutoff=1024**3,
        dynamodb_connector=True,
        retain_data=False,
        alarm_email=None,
        quicksight_principal_arn=None,
        quicksight_service_role="aws-quicksight-service-role-v0",
        rule_error_log_retention_days=30,
        local=False,
    )


def test_every_switch_parses_from_cli_strings() -> None:
    settings = settings_from_context(
        {
            "prefix": "demo",
            "retention_days": "30",
            "retain_data": "true",
            "alarm_email": ALARM_EMAIL,
            "quicksight_principal_arn": QUICKSIGHT_ARN,
            "quicksight_service_role": " my-quicksight-role ",
            "crawler_schedule": "none",
            "results_retention_days": "7",
            "athena_bytes_scanned_cutoff": "104857600",
            "rule_error_log_retention_days": "90",
            "dynamodb_connector": "false",
        }
    )
    assert settings == StackSettings(
        prefix="demo",
        retention_days=30,
        crawler_schedule=None,
        results_retention_days=7,
        athena_bytes_scanned_cutoff=104857600,
        dynamodb_connector=False,
        retain_data=True,
        alarm_email=ALARM_EMAIL,
        quicksight_principal_arn=QUICKSIGHT_ARN,
        quicksight_service_role="my-quicksight-role",
        rule_error_log_retention_days=90,
        local=False,
    )


def test_json_typed_values_from_cdk_json() -> None:
    settings = settings_from_context({"retain_data": True, "retention_days": 7, "local": False})
    assert settings.retain_data is True and settings.retention_days == 7


@pytest.mark.parametrize("value", ["", "none", "None"])
def test_crawler_schedule_can_be_disabled(value: str) -> None:
    assert settings_from_context({"crawler_schedule": value}).crawler_schedule is None


def test_local_implies_no_connector_no_named_queries_no_auto_delete() -> None:
    settings = settings_from_context({"local": "true", "dynamodb_connector": "true"})
    assert settings.local is True
    assert settings.dynamodb_connector is False
    assert settings.connector_enabled is False
    assert settings.named_queries_enabled is False
    assert settings.auto_delete_objects is False
    assert settings.removal_policy.name == "DESTROY"


@pytest.mark.parametrize(
    "context",
    [
        {"prefix": "Attempt"},
        {"prefix": "my_prefix"},
        {"prefix": "a" * 17},
        {"prefix": "trailing-"},
        {"prefix": "1abc"},
        {"retention_days": "0"},
        {"retention_days": "ten"},
        {"results_retention_days": "0"},
        {"athena_bytes_scanned_cutoff": "1000"},
        {"rule_error_log_retention_days": "0"},
        {"crawler_schedule": "rate(1 day)"},
        {"local": "maybe"},
        {"dynamodb_connector": "nope"},
        {"alarm_email": "not-an-address"},
        {"quicksight_principal_arn": "user/default/me"},
        {"quicksight_service_role": "service-role/aws-quicksight-service-role-v0"},
        {"quicksight_service_role": "arn:aws:iam::123456789012:role/qs"},
        {"quicksight_service_role": "has space"},
        {"quicksight_service_role": "r" * 65},
    ],
)
def test_invalid_context_is_refused(context: dict[str, Any]) -> None:
    with pytest.raises(app_module.ContextError):
        settings_from_context(context)


@pytest.mark.parametrize("value", [None, "", "  "])
def test_quicksight_service_role_defaults_to_quicksights_own(value: str | None) -> None:
    context = {} if value is None else {"quicksight_service_role": value}
    assert settings_from_context(context).quicksight_service_role == (
        "aws-quicksight-service-role-v0"
    )


def test_log_retention_accepts_only_cloudwatch_values() -> None:
    assert log_retention(30).name == "ONE_MONTH"
    assert log_retention(3653).name == "TEN_YEARS"
    with pytest.raises(ValueError):
        log_retention(31)


def test_stack_name_and_env(default: Synth, custom: Synth) -> None:
    assert default.stack.stack_name == "attempt-iot-monitoring-stack"
    assert custom.stack.stack_name == "demo-iot-monitoring-stack"
    # No credentials: account-agnostic, region defaults to Tokyo.
    assert default.stack.region == "ap-northeast-1"
    assert default.stack.account.startswith("${Token[")


def test_env_comes_from_cdk_default_variables() -> None:
    import aws_cdk as cdk

    app = cdk.App()
    _, stack = app_module.build_app(
        app, environ={"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "us-west-2"}
    )
    assert (stack.account, stack.region) == ("123456789012", "us-west-2")


def _outputs(synth: Synth) -> dict[str, Any]:
    outputs: dict[str, Any] = synth.data["Outputs"]
    return outputs


ALL_OUTPUT_KEYS = {
    value for key, value in vars(n).items() if key.startswith("OUTPUT_") and isinstance(value, str)
}


def test_outputs_cover_every_output_constant(default: Synth, custom: Synth) -> None:
    # custom sets every switch, quicksight_principal_arn included.
    assert set(_outputs(custom)) == ALL_OUTPUT_KEYS
    assert set(_outputs(default)) == ALL_OUTPUT_KEYS - {n.OUTPUT_QUICKSIGHT_POLICY}


def test_catalog_output_only_with_connector(local: Synth, no_connector: Synth) -> None:
    for synth in (local, no_connector):
        assert set(_outputs(synth)) == ALL_OUTPUT_KEYS - {
            n.OUTPUT_DATA_CATALOG,
            n.OUTPUT_QUICKSIGHT_POLICY,
        }, synth.name


def test_quicksight_policy_output(custom: Synth) -> None:
    output = _outputs(custom)[n.OUTPUT_QUICKSIGHT_POLICY]
    assert output["Value"] == "demo-quicksight-athena-access"
    assert output["Value"] == custom.stack.resource_names.quicksight_policy


def test_output_values(default: Synth) -> None:
    outputs = _outputs(default)
    s = default.stack
    expected = {
        n.OUTPUT_TABLE: {"Ref": default.logical_id(s.storage.table)},
        n.OUTPUT_RULE: {"Ref": default.logical_id(s.ingest.topic_rule)},
        n.OUTPUT_REJECTED_RULE: {"Ref": default.logical_id(s.ingest.rejected_topic_rule)},
        n.OUTPUT_REJECTED_QUEUE_URL: {"Ref": default.logical_id(s.ingest.rejected_queue)},
        n.OUTPUT_DEVICE_POLICY: {"Ref": default.logical_id(s.device_identity.policy)},
        n.OUTPUT_ERROR_LOG_GROUP: {"Ref": default.logical_id(s.ingest.error_log_group)},
        n.OUTPUT_GLUE_DATABASE: "attempt-glue-database-sensor",
        n.OUTPUT_GLUE_TABLE: "attempt_dynamodb_sensor_data",
        n.OUTPUT_TABLE_STREAM: {"Fn::GetAtt": [default.logical_id(s.storage.table), "StreamArn"]},
        n.OUTPUT_CRAWLER: {"Ref": default.logical_id(s.analytics.crawler)},
        n.OUTPUT_WORKGROUP: {"Ref": default.logical_id(s.analytics.workgroup)},
        n.OUTPUT_RESULTS_BUCKET: {"Ref": default.logical_id(s.storage.results_bucket)},
        n.OUTPUT_SPILL_BUCKET: {"Ref": default.logical_id(s.storage.spill_bucket)},
        n.OUTPUT_DATA_CATALOG: {"Ref": default.logical_id(s.analytics.data_catalog)},
        n.OUTPUT_ENDPOINT_COMMAND: "aws iot describe-endpoint --endpoint-type iot:Data-ATS",
    }
    assert {key: out["Value"] for key, out in outputs.items()} == expected
    stream = outputs[n.OUTPUT_TABLE_STREAM]
    assert stream["Export"] == {"Name": "attempt-table-stream-arn"}  # level 2 imports it
    assert IOT_ENDPOINT_COMMAND == expected[n.OUTPUT_ENDPOINT_COMMAND]
    assert all(out["Description"] for out in outputs.values())


def test_resource_names_match_the_readme(default: Synth) -> None:
    names = default.stack.resource_names
    assert (names.table, names.topic_rule, names.rule_error_log_group) == (
        "attempt-dynamodb-sensor-data",
        "attempt_iot_rule_sensor_data",
        "/aws/iot/rule/attempt-iot-rule-sensor-data/errors",
    )
    assert (names.glue_database, names.crawler, names.workgroup, names.data_catalog) == (
        "attempt-glue-database-sensor",
        "attempt-glue-crawler-sensor-data",
        "attempt-athena-workgroup-sensor",
        "attempt-athena-catalog-dynamodb",
    )
