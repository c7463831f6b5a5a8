"""The device IoT policy: connect as own thing name, publish own data, receive own alerts."""

from __future__ import annotations

import pytest

from synth_helpers import ACCOUNT, PARTITION, REGION, Synth, arn_join

pytestmark = pytest.mark.unit

THING = "${iot:Connection.Thing.ThingName}"


def _iot_arn(resource: str) -> dict[str, object]:
    return arn_join("arn:", PARTITION, ":iot:", REGION, ":", ACCOUNT, f":{resource}")


def test_device_policy_document_exactly(default: Synth) -> None:
    _, policy = default.one("AWS::IoT::Policy")
    assert policy["Properties"]["PolicyName"] == "attempt-iot-policy-device"
    assert policy["Properties"]["PolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConnectAsOwnThingName",
                "Effect": "Allow",
                "Action": "iot:Connect",
                "Resource": _iot_arn(f"client/{THING}"),
            },
            {
                "Sid": "PublishOwnSensorData",
                "Effect": "Allow",
                "Action": "iot:Publish",
                "Resource": _iot_arn(f"topic/device/{THING}/data"),
            },
            {
                "Sid": "SubscribeOwnAlerts",
                "Effect": "Allow",
                "Action": "iot:Subscribe",
                "Resource": _iot_arn(f"topicfilter/device/{THING}/alerts"),
            },
            {
                "Sid": "ReceiveOwnAlerts",
                "Effect": "Allow",
                "Action": "iot:Receive",
                "Resource": _iot_arn(f"topic/device/{THING}/alerts"),
            },
        ],
    }


def test_device_policy_grants_nothing_else(synths: dict[str, Synth]) -> None:
    for synth in synths.values():
        _, policy = synth.one("AWS::IoT::Policy")
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert sorted(s["Action"] for s in statements) == [
            "iot:Connect",
            "iot:Publish",
            "iot:Receive",
            "iot:Subscribe",
        ]
        assert all(s["Effect"] == "Allow" and "Condition" not in s for s in statements)


def test_device_policy_name_follows_prefix(custom: Synth) -> None:
    _, policy = custom.one("AWS::IoT::Policy")
    assert policy["Properties"]["PolicyName"] == "demo-iot-policy-device"
