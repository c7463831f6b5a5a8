"""Device identity: the IoT policy every Wio Terminal certificate gets.

A device may connect only with its own thing name as MQTT client id, and publish only to
``device/<its thing name>/data``. Nothing else: no subscribe, no receive, no shadow, no
other topic. ``${iot:Connection.Thing.ThingName}`` resolves only when the certificate is
attached to a thing, so an unattached certificate can do nothing.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iot as iot
from constructs import Construct

from wio_contract.names import ResourceNames

THING_NAME_VARIABLE = "${iot:Connection.Thing.ThingName}"


def device_policy_document(*, partition: str, region: str, account: str) -> dict[str, Any]:
    """The device policy document; arguments may be CDK tokens."""
    arn_prefix = f"arn:{partition}:iot:{region}:{account}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConnectAsOwnThingName",
                "Effect": "Allow",
                "Action": "iot:Connect",
                "Resource": f"{arn_prefix}:client/{THING_NAME_VARIABLE}",
            },
            {
                "Sid": "PublishOwnSensorData",
                "Effect": "Allow",
                "Action": "iot:Publish",
                "Resource": f"{arn_prefix}:topic/device/{THING_NAME_VARIABLE}/data",
            },
        ],
    }


class DeviceIdentity(Construct):
    """The ``<prefix>-iot-policy-device`` IoT policy (attach it to each device certificate)."""

    def __init__(self, scope: Construct, construct_id: str, *, names: ResourceNames) -> None:
        super().__init__(scope, construct_id)
        self.policy_name = names.device_policy
        self.policy = iot.CfnPolicy(
            self,
            "DevicePolicy",
            policy_name=names.device_policy,
            policy_document=device_policy_document(
                partition=cdk.Aws.PARTITION, region=cdk.Aws.REGION, account=cdk.Aws.ACCOUNT_ID
            ),
        )
