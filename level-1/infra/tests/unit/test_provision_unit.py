"""wio-provision without services: moto fakes IoT/CloudFormation; secrets.h is compiled."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from wio_contract.names import ResourceNames
from wio_tools import provision
from wio_tools.environment import AwsEnvironment
from wio_tools.provision import (
    DeviceCredentials,
    ProvisionError,
    amazon_root_ca1,
    c_string_literal,
    delete_fleet,
    delete_thing,
    fleet_thing_names,
    provision_fleet,
    provision_thing,
    render_secrets_header,
)

pytestmark = pytest.mark.unit
REGION = "ap-northeast-1"
POLICY = "attempt-iot-policy-device"


class FakeCloudFormation:
    """moto's CloudFormation needs extra packages; the lookup only calls describe_stacks."""

    def __init__(self) -> None:
        self.outputs: dict[str, str] | None = None  # None: the stack does not exist

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if self.outputs is None:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationError",
                        "Message": f"{StackName} does not exist",
                    }
                },
                "DescribeStacks",
            )
        outs = [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]
        return {"Stacks": [{"StackName": StackName, "Outputs": outs}]}


@pytest.fixture
def cfn() -> FakeCloudFormation:
    return FakeCloudFormation()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, cfn: FakeCloudFormation) -> Iterator[AwsEnvironment]:
    for key in list(os.environ):
        if key.startswith("AWS_") or key.startswith("WIO_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", REGION)
    real_client = AwsEnvironment.client

    def client(self: AwsEnvironment, service: str) -> Any:
        return cfn if service == "cloudformation" else real_client(self, service)

    monkeypatch.setattr(AwsEnvironment, "client", client)
    with mock_aws():
        yield AwsEnvironment.resolve(region=REGION)


def _create_policy(name: str = POLICY) -> None:
    boto3.client("iot", region_name=REGION).create_policy(
        policyName=name,
        policyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iot:*"}],
            }
        ),
    )


def test_missing_stack_and_policy_says_deploy(aws: AwsEnvironment, tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match="stack not deployed.*make -C level-1 up"):
        provision_thing("wio-1", target=aws, certs_dir=tmp_path)


def test_policy_from_stack_outputs(aws: AwsEnvironment, cfn: FakeCloudFormation) -> None:
    _create_policy("custom-policy")
    cfn.outputs = {"DevicePolicyName": "custom-policy"}
    names = ResourceNames("attempt")
    assert provision.find_device_policy(aws, names) == "custom-policy"


def test_stack_without_policy_says_policy_not_found(
    aws: AwsEnvironment, cfn: FakeCloudFormation
) -> None:
    cfn.outputs = {"DevicePolicyName": "gone"}
    with pytest.raises(ProvisionError, match="policy not found"):
        provision.find_device_policy(aws, ResourceNames("attempt"))


def test_provision_writes_files_and_is_idempotent(aws: AwsEnvironment, tmp_path: Path) -> None:
    _create_policy()
    secrets = tmp_path / "arduino_secrets.h"
    creds = provision_thing(
        "wio-1",
        target=aws,
        certs_dir=tmp_path / "certs",
        secrets_out=secrets,
        wifi_ssid="net",
    )
    d = tmp_path / "certs" / "wio-1"
    assert creds.created_certificate and creds.directory == d and not creds.local
    for name in (
        "certificate.pem.crt",
        "private.pem.key",
        "AmazonRootCA1.pem",
        "thing.json",
    ):
        assert (d / name).is_file()
    if sys.platform != "win32":
        assert stat.S_IMODE((d / "private.pem.key").stat().st_mode) == 0o600
        assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    info = json.loads((d / "thing.json").read_text())
    assert info["thing_name"] == "wio-1" and info["port"] == 8883
    assert info["mqtt_host"] == info["endpoint"] and info["ca_file"] == "AmazonRootCA1.pem"
    assert info["topic"] == "device/wio-1/data"
    iot = boto3.client("iot", region_name=REGION)
    assert iot.list_thing_principals(thingName="wio-1")["principals"] == [creds.certificate_arn]
    policies = iot.list_attached_policies(target=creds.certificate_arn)["policies"]
    assert [p["policyName"] for p in policies] == [POLICY]
    assert '#define SECRET_WIFI_SSID "net"' in secrets.read_text()

    again = provision_thing("wio-1", target=aws, certs_dir=tmp_path / "certs")
    assert not again.created_certificate
    assert again.certificate_id == creds.certificate_id
    assert len(iot.list_certificates()["certificates"]) == 1
    assert DeviceCredentials.load(d).certificate_arn == creds.certificate_arn


def test_inactive_certificate_is_replaced(aws: AwsEnvironment, tmp_path: Path) -> None:
    _create_policy()
    first = provision_thing("wio-1", target=aws, certs_dir=tmp_path)
    boto3.client("iot", region_name=REGION).update_certificate(
        certificateId=first.certificate_id, newStatus="INACTIVE"
    )
    second = provision_thing("wio-1", target=aws, certs_dir=tmp_path)
    assert second.created_certificate and second.certificate_id != first.certificate_id


def test_delete_revokes_and_removes(aws: AwsEnvironment, tmp_path: Path) -> None:
    _create_policy()
    creds = provision_thing("wio-1", target=aws, certs_dir=tmp_path)
    assert delete_thing("wio-1", target=aws, certs_dir=tmp_path)
    iot = boto3.client("iot", region_name=REGION)
    assert iot.list_things()["things"] == []
    assert iot.list_certificates()["certificates"] == []
    assert not creds.directory.exists()
    assert not delete_thing("wio-1", target=aws, certs_dir=tmp_path)  # idempotent


def test_fleet_provision_and_delete(aws: AwsEnvironment, tmp_path: Path) -> None:
    _create_policy()
    fleet = provision_fleet(12, fleet_prefix="sim", target=aws, certs_dir=tmp_path, concurrency=4)
    assert [c.thing_name for c in fleet] == fleet_thing_names("sim", 12)
    assert len({c.certificate_id for c in fleet}) == 12
    assert delete_fleet("sim", target=aws, certs_dir=tmp_path) == 12
    assert boto3.client("iot", region_name=REGION).list_things()["things"] == []
    assert list(tmp_path.iterdir()) == []


def test_fleet_names() -> None:
    assert fleet_thing_names("sim", 3) == ["sim-0001", "sim-0002", "sim-0003"]
    assert fleet_thing_names("x", 12345)[-1] == "x-12345"
    with pytest.raises(ProvisionError):
        fleet_thing_names("sim", 0)
    with pytest.raises(ProvisionError, match="invalid thing name"):
        fleet_thing_names("bad name", 1)


def test_amazon_root_ca1_from_certifi() -> None:
    pem = amazon_root_ca1()
    assert pem.startswith("-----BEGIN CERTIFICATE-----") and pem.count("BEGIN") == 1
    # The well-known Amazon Root CA 1 body starts with this.
    assert "MIIDQTCCAimgAwIBAgITBmyfz5m/jAo54vB4ikPmljZbyjANBgkqhkiG9w0BAQsF" in pem


def test_c_string_literal_escapes() -> None:
    assert c_string_literal('a"b\\c') == '"a\\"b\\\\c"'
    assert c_string_literal("??=") == '"\\?\\?="'  # no trigraph
    assert c_string_literal("é1") == '"\\303\\2511"'  # octal escapes are fixed width
    assert c_string_literal("x\ny\t") == '"x\\ny\\011"'


def _header(**overrides: str) -> str:
    values = dict(
        wifi_ssid='My "Home" Wi-Fi ??= é',
        wifi_password="p\\ss\nword",
        endpoint="abc-ats.iot.ap-northeast-1.amazonaws.com",
        thing_name="wio-1",
        root_ca_pem=amazon_root_ca1(),
        cert_pem="-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
        key_pem="-----BEGIN RSA PRIVATE KEY-----\nBBB\n-----END RSA PRIVATE KEY-----\n",
    )
    values.update(overrides)
    return render_secrets_header(port=8883, **values)


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_secrets_header_compiles_and_round_trips(tmp_path: Path) -> None:
    (tmp_path / "arduino_secrets.h").write_text(_header())
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "arduino_secrets.h"\n'
        "int main(void) {\n"
        '  printf("%s\\x1e%s\\x1e%s\\x1e%d\\x1e%s\\x1e%s\\x1e%s\\x1e%s", SECRET_WIFI_SSID,\n'
        "    SECRET_WIFI_PASSWORD, SECRET_AWS_IOT_ENDPOINT, SECRET_AWS_IOT_PORT,\n"
        "    SECRET_THING_NAME, SECRET_AWS_ROOT_CA, SECRET_DEVICE_CERT,\n"
        "    SECRET_DEVICE_PRIVATE_KEY);\n  return 0;\n}\n"
    )
    exe = tmp_path / "main"
    subprocess.run(
        [
            "cc",
            "-std=c99",
            "-Wall",
            "-Werror",
            "-o",
            str(exe),
            str(tmp_path / "main.c"),
        ],
        check=True,
    )
    out = subprocess.run([str(exe)], check=True, capture_output=True).stdout.decode("utf-8")
    parts = out.split("\x1e")
    assert parts[0] == 'My "Home" Wi-Fi ??= é'
    assert parts[1] == "p\\ss\nword"
    assert parts[3] == "8883" and parts[4] == "wio-1"
    assert parts[5] == amazon_root_ca1()
    assert parts[7].endswith("-----END RSA PRIVATE KEY-----\n")


def test_secrets_example_uses_same_macros() -> None:
    example = provision.render_secrets_example()
    for macro in (
        "SECRET_WIFI_SSID",
        "SECRET_WIFI_PASSWORD",
        "SECRET_AWS_IOT_ENDPOINT",
        "SECRET_AWS_IOT_PORT",
        "SECRET_THING_NAME",
        "SECRET_AWS_ROOT_CA",
        "SECRET_DEVICE_CERT",
        "SECRET_DEVICE_PRIVATE_KEY",
    ):
        assert f"#define {macro} " in example
    assert "BEGIN CERTIFICATE" in example and "MII" not in example


def test_cli_argument_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        [],
        ["a", "--fleet", "3"],
        ["a", "b", "--secrets-out", "x.h"],
        ["a", "--concurrency", "0"],
    ):
        with pytest.raises(SystemExit) as exc:
            provision.main(argv)
        assert exc.value.code == 2


def test_cli_reports_missing_stack(
    aws: AwsEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = provision.main(["wio-1", "--certs-dir", str(tmp_path), "--no-secrets"])
    assert rc == 1 and "stack not deployed" in capsys.readouterr().err
