"""Where provisioning talks to (real AWS or local AWS), and the lookups it needs there.

``AwsTarget`` builds the boto3 clients; ``find_device_policy`` and ``describe_ats_endpoint``
read the stack's device policy and the ATS data endpoint. ``ProvisionError`` is the one
error every step raises.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from wio_contract.names import OUTPUT_DEVICE_POLICY, ResourceNames

DEFAULT_REGION = "ap-northeast-1"
AWS_MQTT_PORT = 8883
DEFAULT_CONCURRENCY = 8

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ProvisionError(RuntimeError):
    """Provisioning failed; the message says what to do."""


@dataclass
class AwsTarget:
    """Where provisioning talks to: real AWS, or local AWS (endpoint URL on loopback)."""

    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    local_mqtt_port: int | None = None
    local_ca_pem: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    _session: Any = field(default=None, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def local(self) -> bool:
        if not self.endpoint_url:
            return False
        host = urllib.parse.urlparse(self.endpoint_url).hostname or ""
        return host in LOOPBACK_HOSTS

    def client(self, service: str) -> Any:
        if service not in self._clients:
            if self._session is None:
                self._session = boto3.session.Session(region_name=self.region)
            cfg = Config(
                retries={"mode": "standard", "max_attempts": 10},
                max_pool_connections=max(10, self.concurrency + 2),
            )
            kwargs: dict[str, Any] = {"config": cfg}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            if self.local and self._session.get_credentials() is None:
                # Local AWS accepts any key; spare the caller exporting dummy ones.
                kwargs["aws_access_key_id"] = "test"
                kwargs["aws_secret_access_key"] = "test"
            self._clients[service] = self._session.client(service, **kwargs)
        return self._clients[service]

    @classmethod
    def from_env(
        cls,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        use_local_state: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> AwsTarget:
        """Real AWS by default; local AWS when AWS_ENDPOINT_URL (or ``--local``) says so."""
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        region = region or DEFAULT_REGION
        mqtt_port: int | None = None
        ca_pem: str | None = None
        if use_local_state:
            from wio_tools.local_aws import LocalAws, default_state_file

            aws = LocalAws.load()
            if aws is None or not aws.is_running():
                raise ProvisionError(
                    f"local AWS is not running (no live instance in {default_state_file()}); "
                    "start it with `make -C level-1 up` or `wio-local-aws start`"
                )
            for key, value in aws.env().items():
                if key.startswith("AWS_") and key not in os.environ:
                    os.environ[key] = value
            endpoint_url = endpoint_url or aws.endpoint_url
            region = aws.region
            mqtt_port = aws.mqtt_port
            ca_pem = aws.ca_pem()
        endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        target = cls(region=region, endpoint_url=endpoint_url, concurrency=concurrency)
        if target.local and mqtt_port is None:
            env_port = os.environ.get("WIO_MQTT_PORT")
            env_ca = os.environ.get("WIO_MQTT_CA")
            if env_port:
                mqtt_port = int(env_port)
            if env_ca and Path(env_ca).exists():
                ca_pem = Path(env_ca).read_text(encoding="ascii")
        target.local_mqtt_port = mqtt_port
        target.local_ca_pem = ca_pem
        return target

    def fetch_local_ca(self) -> str:
        """MiniStack's local CA, from GET /_ministack/iot/ca.pem."""
        if self.local_ca_pem:
            return self.local_ca_pem
        import urllib.request

        assert self.endpoint_url
        url = self.endpoint_url.rstrip("/") + "/_ministack/iot/ca.pem"
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 (loopback only)
            self.local_ca_pem = resp.read().decode("ascii")
        return self.local_ca_pem


# --------------------------------------------------------------------------- errors
def _error_code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


def _wrap_aws_errors(action: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except NoCredentialsError as e:
        raise ProvisionError(
            f"{action}: no AWS credentials. Configure them (`aws configure` / AWS_PROFILE), "
            'or for local AWS run `eval "$(wio-local-aws env)"` or pass --local'
        ) from e
    except NoRegionError as e:
        raise ProvisionError(f"{action}: no region; pass --region ap-northeast-1") from e


def _wrap_no_creds(e: Exception) -> ProvisionError:
    return ProvisionError(
        f'no AWS credentials ({e}); configure them, or run `eval "$(wio-local-aws env)"` '
        "/ pass --local for local AWS"
    )


# --------------------------------------------------------------------------- policy lookup
def find_device_policy(target: AwsTarget, names: ResourceNames) -> str:
    """The device policy name: from the stack's outputs, else by its conventional name."""
    cfn = target.client("cloudformation")
    iot = target.client("iot")
    policy: str | None = None
    stack_found = False
    try:
        stacks = cfn.describe_stacks(StackName=names.stack)["Stacks"]
        stack_found = bool(stacks)
        for out in stacks[0].get("Outputs", []) if stacks else []:
            if out.get("OutputKey") == OUTPUT_DEVICE_POLICY:
                policy = str(out["OutputValue"])
    except ClientError as e:
        if _error_code(e) not in (
            "ValidationError",
            "ResourceNotFoundException",
            "StackNotFound",
        ):
            raise ProvisionError(f"could not read stack {names.stack}: {e}") from e
    except (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError) as e:
        raise _unreachable(target, e) from e
    except NoCredentialsError as e:
        raise _wrap_no_creds(e) from e
    candidate = policy or names.device_policy
    try:
        iot.get_policy(policyName=candidate)
    except ClientError as e:
        if _error_code(e) == "ResourceNotFoundException":
            where = f" (local AWS {target.endpoint_url})" if target.local else ""
            if not stack_found:
                raise ProvisionError(
                    f"stack not deployed: stack {names.stack} and IoT policy {candidate} do not "
                    f"exist in {target.region}"
                    f"{where}. "
                    "Deploy it first: `make -C level-1 up` (local) or "
                    "`cd level-1/infra && npx cdk deploy` (AWS)"
                ) from e
            raise ProvisionError(
                f"policy not found: stack {names.stack} exists but IoT policy {candidate} does "
                "not; redeploy the stack (`cdk deploy`) or pass the right --prefix"
            ) from e
        raise ProvisionError(f"could not read IoT policy {candidate}: {e}") from e
    return candidate


def _unreachable(target: AwsTarget, e: Exception) -> ProvisionError:
    if target.local:
        return ProvisionError(
            f"local AWS at {target.endpoint_url} is not reachable ({e}); "
            "start it with `make -C level-1 up` or `wio-local-aws start`"
        )
    return ProvisionError(f"AWS is not reachable ({e}); check your network and credentials")


def describe_ats_endpoint(target: AwsTarget) -> tuple[str, int]:
    """The ATS data endpoint host (what the device dials) and MQTT port 8883."""
    address = str(
        target.client("iot").describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    )
    # MiniStack appends its gateway port ("…-ats.iot.<region>.localhost:4566"); AWS does not.
    host = address.rsplit(":", 1)[0] if re.search(r":\d+$", address) else address
    return host, AWS_MQTT_PORT
