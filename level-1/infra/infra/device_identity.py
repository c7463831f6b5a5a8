"""Device identity: the IoT policy every Wio Terminal certificate gets.

A device may connect only with its own thing name as MQTT client id, publish only to
``device/<its thing name>/data``, and subscribe to and receive only
``device/<its thing name>/alerts`` (where the level-2 detector publishes its alerts).
Nothing else: no shadow, no other topic. ``${iot:Connection.Thing.ThingName}`` resolves
only when the certificate is attached to a thing, so an unattached certificate can do nothing.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iot as iot
from constructs import Construct

from wio_contract.names import ALERTS_TOPIC, DEVICE_TOPIC, ResourceNames

THING_NAME_VARIABLE = "${iot:Connection.Thing.ThingName}"
DATA_TOPIC_OF_THING = DEVICE_TOPIC.format(thing=THING_NAME_VARIABLE)
ALERTS_TOPIC_OF_THING = ALERTS_TOPIC.format(thing=THING_NAME_VARIABLE)


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
                "Resource": f"{arn_prefix}:topic/{DATA_TOPIC_OF_THING}",
            },
            {
                # Subscribe is authorised on the topic filter, Receive on the topic.
                "Sid": "SubscribeOwnAlerts",
                "Effect": "Allow",
                "Action": "iot:Subscribe",
                "Resource": f"{arn_prefix}:topicfilter/{ALERTS_TOPIC_OF_THING}",
            },
            {
                "Sid": "ReceiveOwnAlerts",
                "Effect": "Allow",
                "Action": "iot:Receive",
                "Resource": f"{arn_prefix}:topic/{ALERTS_TOPIC_OF_THING}",
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
