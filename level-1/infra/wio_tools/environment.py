"""Where AWS is: one answer for every tool, the dashboard, the bench and the tests.

:meth:`AwsEnvironment.resolve` decides once:

* **region**: the argument, else ``AWS_REGION``, else what boto3 finds (``AWS_DEFAULT_REGION``,
  then the profile's ``region``), else ``ap-northeast-1``. The source is kept, so a tool can
  say where the region came from (cdk reads the same chain).
* **endpoint**: the argument, else ``AWS_ENDPOINT_URL``, else the running local AWS when the
  caller asks for it (``--local``). Nothing else switches a tool to local AWS.
* **local**: the endpoint's host is a loopback address or ``localhost``. That is the only
  definition of "local" in the project.

It hands out boto3 clients (credentials from the normal chain, so ``aws-vault exec`` and
``AWS_PROFILE`` work as they do for the AWS CLI) and, for local AWS, the MQTT port and CA.
"""

from __future__ import annotations

import ipaddress
import os
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from wio_contract.names import DEFAULT_REGION

LOCAL_ACCOUNT = "000000000000"
LOCAL_DUMMY_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
AWS_MQTT_PORT = 8883
CREDENTIALS_HINT = (
    "set up AWS credentials: `aws configure` (or `aws configure sso`), or run the command "
    "through aws-vault: `aws-vault exec <profile> --no-session -- <command>`; for local AWS "
    "use `make -C level-1 up` and pass --local"
)


class AwsTargetError(RuntimeError):
    """AWS cannot be reached as configured; the message says what to do."""


def is_local_endpoint(url: str | None) -> bool:
    """Whether ``url`` points at this machine (loopback or ``localhost``)."""
    if not url:
        return False
    host = urllib.parse.urlparse(url if "://" in url else f"http://{url}").hostname or ""
    host = host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class AwsEnvironment:
    """A resolved AWS target: region, endpoint, local or not, and its clients."""

    region: str
    region_source: str
    endpoint_url: str | None = None
    profile: str | None = None
    mqtt_host: str | None = None
    mqtt_port: int = AWS_MQTT_PORT
    ca_path: Path | None = None
    max_pool_connections: int = 10
    _session: Any = field(default=None, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _account: str | None = field(default=None, repr=False)
    _ca_pem: str | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ resolution
    @classmethod
    def resolve(
        cls,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        local: bool = False,
        env: Mapping[str, str] | None = None,
        max_pool_connections: int = 10,
    ) -> AwsEnvironment:
        """Resolve the target once; ``local=True`` means the running local AWS (``up``)."""
        env = os.environ if env is None else env
        profile = profile or env.get("AWS_PROFILE") or None
        mqtt_host: str | None = None
        mqtt_port = AWS_MQTT_PORT
        ca_path: Path | None = None
        if local and not endpoint_url:
            from wio_tools.local_aws import LocalAws, default_state_file

            running = LocalAws.load()
            if running is None or not running.is_running():
                raise AwsTargetError(
                    f"local AWS is not running (no live instance in {default_state_file()}); "
                    "start it with `make -C level-1 up`"
                )
            endpoint_url = running.endpoint_url
            region = region or running.region
            mqtt_host, mqtt_port, ca_path = running.host, running.mqtt_port, running.ca_path
        endpoint_url = endpoint_url or env.get("AWS_ENDPOINT_URL", "").strip() or None
        if is_local_endpoint(endpoint_url) and mqtt_host is None and env.get("WIO_MQTT_PORT"):
            mqtt_host = env.get("WIO_MQTT_HOST", "127.0.0.1")
            mqtt_port = int(env["WIO_MQTT_PORT"])
            ca_path = Path(env["WIO_MQTT_CA"]) if env.get("WIO_MQTT_CA") else None
        resolved, source = _resolve_region(region, profile=profile, env=env)
        return cls(
            region=resolved,
            region_source=source,
            endpoint_url=endpoint_url,
            profile=profile,
            mqtt_host=mqtt_host,
            mqtt_port=mqtt_port,
            ca_path=ca_path,
            max_pool_connections=max_pool_connections,
        )

    @classmethod
    def for_local(cls, local: Any, *, max_pool_connections: int = 10) -> AwsEnvironment:
        """A started local AWS (``wio_tools.local_aws.LocalAwsInstance``)."""
        return cls(
            region=local.region,
            region_source="local AWS",
            endpoint_url=local.endpoint_url,
            mqtt_host=local.host,
            mqtt_port=local.mqtt_port,
            ca_path=Path(local.ca_path),
            max_pool_connections=max_pool_connections,
        )

    # ------------------------------------------------------------------ facts
    @property
    def is_local(self) -> bool:
        return is_local_endpoint(self.endpoint_url)

    @property
    def session(self) -> Any:
        """The boto3 session: the normal credential chain (profile, aws-vault, SSO...)."""
        if self._session is None:
            self._session = boto3.session.Session(
                region_name=self.region, profile_name=None if self.is_local else self.profile
            )
        return self._session

    def client(self, service: str) -> Any:
        """A cached boto3 client for ``service`` at this target."""
        if service not in self._clients:
            kwargs: dict[str, Any] = {
                "region_name": self.region,
                "config": Config(
                    retries={"mode": "standard", "max_attempts": 10},
                    max_pool_connections=self.max_pool_connections,
                ),
            }
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            if self.is_local and self.session.get_credentials() is None:
                kwargs.update(LOCAL_DUMMY_CREDENTIALS)  # local AWS accepts any key
            self._clients[service] = self.session.client(service, **kwargs)
        return self._clients[service]

    def account(self) -> str:
        """The account id (STS); local AWS is always 000000000000."""
        if self._account is None:
            if self.is_local:
                self._account = LOCAL_ACCOUNT
            else:
                try:
                    self._account = str(self.client("sts").get_caller_identity()["Account"])
                except NoCredentialsError as error:
                    raise AwsTargetError(f"no AWS credentials: {CREDENTIALS_HINT}") from error
                except (ClientError, BotoCoreError) as error:
                    raise AwsTargetError(
                        f"cannot identify the AWS account in {self.region} ({error}); "
                        f"{CREDENTIALS_HINT}"
                    ) from error
        return self._account

    def local_ca_pem(self) -> str:
        """Local AWS's MQTT server CA: the file from ``up``, else GET /_ministack/iot/ca.pem."""
        if not self.is_local:
            raise AwsTargetError("the local CA exists only for local AWS")
        if self._ca_pem is None:
            if self.ca_path is not None and self.ca_path.exists():
                self._ca_pem = self.ca_path.read_text(encoding="ascii")
            else:
                assert self.endpoint_url
                url = self.endpoint_url.rstrip("/") + "/_ministack/iot/ca.pem"
                with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 (loopback)
                    self._ca_pem = resp.read().decode("ascii")
        return self._ca_pem

    def ats_endpoint(self) -> str:
        """The IoT data endpoint host (iot:Data-ATS) that devices and iot-data talk to."""
        address = str(
            self.client("iot").describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
        )
        # MiniStack appends its gateway port ("…-ats.iot.<region>.localhost:4566"); AWS does not.
        return re.sub(r":\d+$", "", address)

    def iot_data_client(self) -> Any:
        """An ``iot-data`` client: the account's ATS endpoint on AWS, the gateway locally."""
        if "iot-data" not in self._clients:
            if self.is_local:
                return self.client("iot-data")
            self._clients["iot-data"] = self.session.client(
                "iot-data", region_name=self.region, endpoint_url=f"https://{self.ats_endpoint()}"
            )
        return self._clients["iot-data"]

    def describe(self, *, with_account: bool = True) -> str:
        """One line for a tool to print on start: where it is about to work."""
        if self.is_local:
            return f"target: local AWS at {self.endpoint_url} (region {self.region})"
        where = f"region {self.region} (from {self.region_source})"
        account = f"AWS account {self.account()}" if with_account else "AWS"
        profile = f", profile {self.profile}" if self.profile else ""
        endpoint = f", endpoint {self.endpoint_url}" if self.endpoint_url else ""
        return f"target: {account}, {where}{profile}{endpoint}"

    def subprocess_env(self) -> dict[str, str]:
        """Environment variables that point the AWS CLI and cdk at the same target."""
        out = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        if self.endpoint_url:
            out["AWS_ENDPOINT_URL"] = self.endpoint_url
        if self.is_local and self.session.get_credentials() is None:
            out["AWS_ACCESS_KEY_ID"] = LOCAL_DUMMY_CREDENTIALS["aws_access_key_id"]
            out["AWS_SECRET_ACCESS_KEY"] = LOCAL_DUMMY_CREDENTIALS["aws_secret_access_key"]
        return out


def _resolve_region(
    region: str | None, *, profile: str | None, env: Mapping[str, str]
) -> tuple[str, str]:
    if region:
        return region, "--region"
    if env.get("AWS_REGION"):
        return env["AWS_REGION"], "AWS_REGION"
    if env.get("AWS_DEFAULT_REGION"):
        return env["AWS_DEFAULT_REGION"], "AWS_DEFAULT_REGION"
    try:
        from_profile = boto3.session.Session(profile_name=profile).region_name
    except BotoCoreError:  # an unknown profile: let the client call report it
        from_profile = None
    if from_profile:
        return from_profile, f"profile {profile or 'default'}"
    return DEFAULT_REGION, "the project default"
