"""The payload contract is the one source: the rule SQL, Glue columns and probes derive from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aws_cdk as cdk
import pytest
from iot_sql_readings import matches

from infra.infra_stack import IotMonitoringStack, StackSettings
from wio_contract.fields import CONTRACT, SCHEMA_PATH, Contract
from wio_contract.iot_sql import (
    rejected_sql,
    sensor_data_sql,
    stored_columns,
    valid_message_predicate,
)
from wio_contract.names import ResourceNames
from wio_contract.probes import REJECTED, STORED, probes

pytestmark = pytest.mark.unit

THING = "wio-probe-01"
TOPIC = ResourceNames.device_topic(THING)
NOW = int(time.time())


def _routes(payload: bytes, reading: str) -> tuple[bool, bool]:
    return (
        matches(sensor_data_sql(), TOPIC, payload, reading=reading),
        matches(rejected_sql(), TOPIC, payload, reading=reading),
    )


def test_schema_fields_are_the_contract() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert [f.name for f in CONTRACT.payload_fields] == list(schema["properties"])
    assert {f.name for f in CONTRACT.payload_fields if f.required} == set(schema["required"])
    for f in CONTRACT.payload_fields:
        spec = schema["properties"][f.name]
        assert (f.minimum, f.maximum) == (spec.get("minimum"), spec.get("maximum"))
    assert CONTRACT.identity.name == "device_id" and CONTRACT.time.name == "timestamp"
    assert [f.name for f in CONTRACT.measurements] == ["temperature", "humidity", "light"]


def test_every_bounded_field_is_checked_by_the_rule() -> None:
    predicate = valid_message_predicate()

    def number(value: float) -> str:
        return str(int(value)) if float(value).is_integer() else str(value)

    for f in CONTRACT.payload_fields:
        if f.minimum is not None:
            assert f"{f.name} * 1 >= {number(f.minimum)}" in predicate, f.name
        if f.maximum is not None:
            assert f"{f.name} * 1 <= {number(f.maximum)}" in predicate, f.name
        if f.is_integer:
            assert f"({f.name} * 1) % 1 = 0" in predicate, f.name


def test_select_is_explicit_and_stores_only_contract_fields() -> None:
    columns = stored_columns(retention_days=30)
    select = sensor_data_sql(retention_days=30).split(" FROM ")[0]
    assert select == "SELECT " + ", ".join(f"{e} AS {n}" for n, e in columns.items())
    assert "*" not in columns.values()
    assert list(columns) == [f.name for f in CONTRACT.stored_fields]
    assert columns["device_id"] == "topic(2)"
    assert columns["expires_at"] == "timestamp() / 1000 + 2592000"
    assert columns["raw_payload"] == "encode(*, 'base64')"
    assert "expires_at" not in stored_columns()


def test_rules_are_exact_complements() -> None:
    main_where = sensor_data_sql().split(" WHERE ", 1)[1]
    assert rejected_sql().split(" WHERE ", 1)[1] == f"NOT ({main_where})"


@pytest.mark.parametrize("probe", probes(), ids=lambda p: p.id)
def test_probe_takes_exactly_its_path_under_three_valued_logic(probe) -> None:  # type: ignore
    stored, rejected = _routes(probe.render(THING, NOW), "kleene")
    assert (stored, rejected) == (probe.expected == STORED, probe.expected == REJECTED)


def test_under_the_strict_reading_nothing_invalid_is_stored_and_the_gap_is_known() -> None:
    """Safety holds under both readings; only "nothing vanishes" needs three-valued logic.

    The probes that vanish under the strict reading are exactly those with an optional field
    absent or a field that is not a number: wio-doctor and the unhandled-messages alarm exist
    to catch that on a real account.
    """
    vanished = []
    for probe in probes():
        stored, rejected = _routes(probe.render(THING, NOW), "strict")
        assert not (stored and probe.expected == REJECTED), probe.id
        assert not (stored and rejected), probe.id
        if not stored and not rejected:
            vanished.append(probe.id)
    complete = {"valid-all-fields", "valid-unknown-field"}
    assert complete.isdisjoint(vanished)
    assert "valid-without-light" in vanished and "not-json" in vanished


def test_probes_cover_every_field_both_ways() -> None:
    ids = {p.id for p in probes()}
    for f in CONTRACT.optional_numeric:
        assert {f"valid-without-{f.name}", f"{f.name}-text", f"{f.name}-above-maximum"} <= ids
    assert {"device_id-other-device", "timestamp-missing", "not-json"} <= ids


def test_validate_agrees_with_the_rule_on_every_probe() -> None:
    for probe in probes():
        try:
            payload = json.loads(probe.render(THING, NOW))
        except ValueError:
            payload = None
        problems = CONTRACT.validate(payload, now=NOW, thing=THING)
        if probe.id == "valid-unknown-field":
            assert problems == ["unknown field 'firmware'"]
        else:
            assert (not problems) == (probe.expected == STORED), (probe.id, problems)


def test_a_field_added_to_the_schema_alone_reaches_the_rule_and_the_glue_table(
    tmp_path: Path,
) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["properties"]["co2"] = {
        "title": "CO2",
        "type": "integer",
        "minimum": 400,
        "maximum": 10000,
        "x-role": "measurement",
        "x-unit": "ppm",
        "x-label-ja": "CO2濃度",
    }
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    assert [f.name for f in Contract.load(path).measurements][-1] == "co2"

    app = cdk.App(
        outdir=str(tmp_path / "out"),
        context={"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True},
    )
    stack = IotMonitoringStack(
        app, "WithCo2", settings=StackSettings(local=True), contract=Contract.load(path)
    )
    template = app.synth().get_stack_by_name(stack.stack_name).template
    resources = template["Resources"].values()
    sqls = [
        r["Properties"]["TopicRulePayload"]["Sql"]
        for r in resources
        if r["Type"] == "AWS::IoT::TopicRule"
    ]
    (glue_table,) = [r for r in resources if r["Type"] == "AWS::Glue::Table"]
    columns = glue_table["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]
    main_sql = next(s for s in sqls if not s.startswith("SELECT encode"))
    assert "co2 * 1 AS co2" in main_sql
    assert "co2 * 1 >= 400 AND co2 * 1 <= 10000 AND (co2 * 1) % 1 = 0" in main_sql
    assert {"Name": "co2", "Type": "bigint", "Comment": "CO2 [ppm]"} in columns


def test_the_schema_path_can_be_pointed_elsewhere(tmp_path: Path) -> None:
    """A Lambda bundle sets WIO_SCHEMA_PATH; the contract then reads that file."""
    copy = tmp_path / "copy.json"
    copy.write_text(SCHEMA_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    script = "from wio_contract.fields import SCHEMA_PATH; print(SCHEMA_PATH)"
    env = {**os.environ, "WIO_SCHEMA_PATH": str(copy)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == str(copy), out.stderr
