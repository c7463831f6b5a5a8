"""What a local AWS instance is: its ports, files and state, and clients pointed at it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from wio_tools.local_aws.config import (
    DUMMY_ACCESS_KEY,
    DUMMY_SECRET_KEY,
    HEALTH_PATH,
    HOST,
    REGION,
    STATE_FILE_ENV,
)
from wio_tools.local_aws.system import _http_get, _pid_alive


@dataclass
class LocalAwsInstance:
    """Where a MiniStack instance listens and how to reach it; :class:`LocalAws` runs it."""

    gateway_port: int
    mqtt_port: int
    pid: int
    log_path: Path
    state_file: Path
    state_dir: Path
    ca_path: Path
    region: str = REGION
    host: str = HOST
    started_at: float = field(default_factory=time.time)
    owned: bool = True
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    # ----------------------------------------------------------------- properties
    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def mqtt_host(self) -> str:
        return self.host

    def env(self) -> dict[str, str]:
        """Environment that points the AWS CLI, boto3, cdk, wio-provision and wio-sim here."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_PAGER": "",
            "WIO_MQTT_HOST": self.host,
            "WIO_MQTT_PORT": str(self.mqtt_port),
            "WIO_MQTT_CA": str(self.ca_path),
            STATE_FILE_ENV: str(self.state_file),
        }

    def boto3_kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``boto3.client(service, **kwargs)``."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": DUMMY_ACCESS_KEY,
            "aws_secret_access_key": DUMMY_SECRET_KEY,
        }

    def client(self, service: str) -> Any:
        """A boto3 client pointed here (``aws.client("iot")``)."""
        import boto3

        return boto3.session.Session().client(service, **self.boto3_kwargs())  # type: ignore

    def resource(self, service: str) -> Any:
        """A boto3 resource pointed here (``aws.resource("dynamodb").Table(name)``)."""
        import boto3

        return boto3.session.Session().resource(service, **self.boto3_kwargs())  # type: ignore

    def log_text(self) -> str:
        """MiniStack's whole log so far (tests grep it for rule failures)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def is_running(self) -> bool:
        return _pid_alive(self.pid)

    def is_healthy(self) -> bool:
        if not self.is_running():
            return False
        try:
            status, body = _http_get(self.endpoint_url + HEALTH_PATH)
        except OSError:
            return False
        if status != 200:
            return False
        try:
            return bool(json.loads(body).get("iot_mtls") == "listening")
        except ValueError:
            return False

    # ----------------------------------------------------------------- state file
    def to_state(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("_proc", "owned"):
                continue
            value = getattr(self, f.name)
            data[f.name] = str(value) if isinstance(value, Path) else value
        data["endpoint_url"] = self.endpoint_url
        data["mqtt_host"] = self.mqtt_host
        return data

    def _write_state(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_state(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.state_file)
