"""Shared pieces of the integration tests: the target description and polling helpers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from wio_contract.names import ResourceNames
from wio_tools.environment import AwsEnvironment


@dataclass
class Target:
    """Where the stack under test lives: the environment every tool uses, plus its outputs."""

    names: ResourceNames
    outputs: dict[str, str]
    environment: AwsEnvironment
    ca_path: Path
    env: dict[str, str]  # variables that point a subprocess (cdk, the AWS CLI) at it
    local: Any = None  # wio_tools.local_aws.LocalAws when local

    @property
    def is_local(self) -> bool:
        return self.environment.is_local

    @property
    def kind(self) -> str:
        return "local" if self.is_local else "aws"

    @property
    def region(self) -> str:
        return self.environment.region

    @property
    def endpoint_url(self) -> str | None:
        return self.environment.endpoint_url

    @property
    def mqtt_host(self) -> str:
        assert self.environment.mqtt_host is not None
        return self.environment.mqtt_host

    @property
    def mqtt_port(self) -> int:
        return self.environment.mqtt_port

    def client(self, service: str) -> Any:
        return self.environment.client(service)


def device_items(target: Target, device_id: str) -> list[dict[str, Any]]:
    """Every stored item of one device, through a key Query (no Scan), as plain values."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    pages = (
        target.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=target.names.table,
            KeyConditionExpression="device_id = :d",
            ExpressionAttributeValues={":d": {"S": device_id}},
            ConsistentRead=True,
        )
    )
    return [
        {k: deserializer.deserialize(v) for k, v in item.items()}
        for page in pages
        for item in page["Items"]
    ]


def wait_for(predicate: Any, *, timeout: float, interval: float = 0.25) -> Any:
    """Poll until predicate() is truthy; returns its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def drain_rejected(target: Target, *, expect: int, timeout: float) -> list[dict[str, Any]]:
    """Receive (and delete) messages from the dead-letter queue until `expect` have arrived."""
    sqs = target.client("sqs")
    url = (
        target.outputs.get("RejectedQueueUrl")
        or sqs.get_queue_url(QueueName=target.names.rejected_queue)["QueueUrl"]
    )
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for msg in page.get("Messages", []):
            got.append(json.loads(msg["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    return got


def plain(value: Any) -> Any:
    """DynamoDB's Decimals (also inside maps and lists) as the ints and floats a device sent."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
