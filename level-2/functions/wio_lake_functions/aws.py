"""boto3 clients, created on first use (boto3 is provided by the Lambda runtime)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]


@lru_cache(maxsize=1)
def iot_data() -> Any:
    """The IoT data-plane client at this account's ATS endpoint.

    With ``AWS_ENDPOINT_URL`` set (the local emulator) boto3 already points there; on AWS
    the account-specific endpoint comes from ``iot:DescribeEndpoint``.
    """
    import boto3

    if os.environ.get("AWS_ENDPOINT_URL"):
        return boto3.client("iot-data")
    address = client("iot").describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    return boto3.client("iot-data", endpoint_url=f"https://{address}")


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"environment variable {name} is not set")
    return value
