"""Shared pieces of the level-2 integration tests: the deployed target and helpers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from wio_contract.names import ResourceNames

HISTORY_DEVICE_LABEL = "hist"
HISTORY_DAYS = 4
HISTORY_STEP = 600


@dataclass
class Target:
    names: ResourceNames
    outputs: dict[str, str]
    env: dict[str, str]
    local: Any
    provision_target: Any
    certs_dir: Path
    run_id: str
    history_device: Any  # DeviceCredentials of the device with pre-existing history
    history_rows: int
    history_end: int
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.session.Session().client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.env["AWS_ENDPOINT_URL"],
                region_name=self.env["AWS_REGION"],
                aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            )
        return self._clients[service]

    @property
    def bucket(self) -> str:
        return self.outputs["LakeBucketName"]

    def invoke(self, output_key: str, event: dict[str, Any]) -> dict[str, Any]:
        response = self.client("lambda").invoke(
            FunctionName=self.outputs[output_key], Payload=json.dumps(event).encode()
        )
        body = response["Payload"].read().decode()
        assert not response.get("FunctionError"), body
        result: dict[str, Any] = json.loads(body)
        return result

    def athena(self, sql: str) -> list[dict[str, str | None]]:
        from wio_lake.athena import run_query

        result = run_query(
            self.client("athena"), sql, database=self.names.lake_database,
            workgroup=self.names.workgroup, timeout=60,
        )  # fmt: skip
        return result.as_dicts()

    def lake_count(self, device: str) -> int:
        rows = self.athena(
            "SELECT count(*) AS n FROM readings "
            f"WHERE dt >= '2020-01-01' AND device_id = '{device}'"
        )
        return int(rows[0]["n"] or 0)

    def keys(self, prefix: str) -> list[str]:
        pages = self.client("s3").get_paginator("list_objects_v2")
        return [
            o["Key"]
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix)
            for o in page.get("Contents", [])
        ]


def wait_for(predicate: Any, *, timeout: float, interval: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
