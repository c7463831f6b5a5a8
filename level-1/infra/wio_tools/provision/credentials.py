"""One thing's credentials on disk: ``DeviceCredentials``, the files, Amazon Root CA 1."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import certifi

from wio_contract.names import DEFAULT_REGION, ResourceNames
from wio_tools.environment import AWS_MQTT_PORT
from wio_tools.provision.target import ProvisionError

# level-1/ (this file is level-1/infra/wio_tools/provision/credentials.py)
LEVEL1_DIR = Path(__file__).resolve().parents[3]
DEFAULT_CERTS_DIR = LEVEL1_DIR / "device" / "certs"
DEFAULT_SECRETS_OUT = LEVEL1_DIR / "device" / "wioterminal" / "arduino_secrets.h"

CERT_FILE = "certificate.pem.crt"
KEY_FILE = "private.pem.key"
ROOT_CA_FILE = "AmazonRootCA1.pem"
LOCAL_CA_FILE = "LocalBrokerCA.pem"
THING_JSON = "thing.json"


# --------------------------------------------------------------------------- data
@dataclass
class DeviceCredentials:
    """Everything a client needs to connect as one thing, and where it was written."""

    thing_name: str
    thing_arn: str
    certificate_id: str
    certificate_arn: str
    policy_name: str
    region: str
    endpoint: str  # ATS data endpoint host, what a real device dials
    port: int  # 8883
    directory: Path
    mqtt_host: str  # what a client on this machine dials (127.0.0.1 locally)
    mqtt_port: int
    local: bool
    created_certificate: bool = False
    aws_endpoint_url: str | None = None
    provisioned_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )

    @property
    def cert_path(self) -> Path:
        return self.directory / CERT_FILE

    @property
    def key_path(self) -> Path:
        return self.directory / KEY_FILE

    @property
    def root_ca_path(self) -> Path:
        return self.directory / ROOT_CA_FILE

    @property
    def ca_path(self) -> Path:
        """The CA that verifies the broker a client on this machine dials."""
        return self.directory / (LOCAL_CA_FILE if self.local else ROOT_CA_FILE)

    @property
    def topic(self) -> str:
        return ResourceNames.device_topic(self.thing_name)

    def to_json(self) -> dict[str, Any]:
        return {
            "thing_name": self.thing_name,
            "thing_arn": self.thing_arn,
            "certificate_id": self.certificate_id,
            "certificate_arn": self.certificate_arn,
            "policy_name": self.policy_name,
            "region": self.region,
            "endpoint": self.endpoint,
            "port": self.port,
            "topic": self.topic,
            "certificate_file": CERT_FILE,
            "private_key_file": KEY_FILE,
            "root_ca_file": ROOT_CA_FILE,
            "mqtt_host": self.mqtt_host,
            "mqtt_port": self.mqtt_port,
            "ca_file": self.ca_path.name,
            "insecure_hostname": False,
            "local": self.local,
            "aws_endpoint_url": self.aws_endpoint_url,
            "provisioned_at": self.provisioned_at,
        }

    @classmethod
    def load(cls, directory: Path) -> DeviceCredentials:
        data = json.loads((directory / THING_JSON).read_text(encoding="utf-8"))
        return cls(
            thing_name=data["thing_name"],
            thing_arn=data.get("thing_arn", ""),
            certificate_id=data["certificate_id"],
            certificate_arn=data["certificate_arn"],
            policy_name=data.get("policy_name", ""),
            region=data.get("region", DEFAULT_REGION),
            endpoint=data["endpoint"],
            port=int(data.get("port", AWS_MQTT_PORT)),
            directory=directory,
            mqtt_host=data.get("mqtt_host", data["endpoint"]),
            mqtt_port=int(data.get("mqtt_port", AWS_MQTT_PORT)),
            local=bool(data.get("local", False)),
            aws_endpoint_url=data.get("aws_endpoint_url"),
            provisioned_at=data.get("provisioned_at", ""),
        )


# --------------------------------------------------------------------------- files
def amazon_root_ca1() -> str:
    """Amazon Root CA 1 as PEM, taken from certifi's bundle (no download)."""
    text = Path(certifi.where()).read_text(encoding="ascii")
    blocks = re.findall(
        r"((?:^#[^\n]*\n)+)(-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----)",
        text,
        flags=re.M | re.S,
    )
    for comments, pem in blocks:
        if re.search(r"^# Subject: CN=Amazon Root CA 1 O=Amazon\s*$", comments, flags=re.M):
            return str(pem) + "\n"
    raise ProvisionError(
        f"Amazon Root CA 1 not found in certifi's bundle ({certifi.where()}); "
        "upgrade certifi (`uv sync`)"
    )


amazon_root_ca_pem = amazon_root_ca1  # the name the integration-test conftest imports


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), replacing any previous one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _write_public(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)
