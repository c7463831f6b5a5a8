"""Provision Wio Terminal devices (things) in AWS IoT Core, or in local AWS (MiniStack).

One code path serves real AWS and the local emulator. For each thing name it:

1. creates the thing (idempotent);
2. creates keys and an ACTIVE certificate, unless the certs folder already holds an ACTIVE
   certificate of this account attached to the thing;
3. attaches the stack's device policy to the certificate and the certificate to the thing;
4. fetches the ATS data endpoint;
5. writes ``certs/<thing>/{certificate.pem.crt, private.pem.key, AmazonRootCA1.pem, thing.json}``
   (the key with mode 0600) and, for a single thing, ``arduino_secrets.h`` for the sketch.

``--delete`` detaches the policy and the thing, sets the certificate INACTIVE, deletes it and
the thing, and removes the local files.

Examples::

    wio-provision wio-terminal-01 --wifi-ssid MyWifi --wifi-password secret
    wio-provision --fleet 100 --fleet-prefix sim
    wio-provision --fleet 100 --fleet-prefix sim --delete
    wio-provision wio-terminal-01 --delete

Locally (after ``wio-local-aws start`` / ``make -C level-1 up`` and ``cdk deploy``) pass
``--local`` or export the variables of ``wio-local-aws env``. The sketch always gets Amazon
Root CA 1; ``thing.json`` additionally records the broker address and CA that a local MQTT
client (the simulator) must use: 127.0.0.1, MiniStack's mTLS port and MiniStack's local CA.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import boto3
import certifi
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from infra.names import OUTPUT_DEVICE_POLICY, ResourceNames

LEVEL1_DIR = Path(__file__).resolve().parents[2]
DEFAULT_CERTS_DIR = LEVEL1_DIR / "device" / "certs"
DEFAULT_SECRETS_OUT = LEVEL1_DIR / "device" / "wioterminal" / "arduino_secrets.h"
DEFAULT_REGION = "ap-northeast-1"
AWS_MQTT_PORT = 8883
DEFAULT_CONCURRENCY = 8

CERT_FILE = "certificate.pem.crt"
KEY_FILE = "private.pem.key"
ROOT_CA_FILE = "AmazonRootCA1.pem"
LOCAL_CA_FILE = "LocalBrokerCA.pem"
THING_JSON = "thing.json"

PLACEHOLDER_SSID = "YOUR_WIFI_SSID"
PLACEHOLDER_PASSWORD = "YOUR_WIFI_PASSWORD"

# Macro names the sketch includes from arduino_secrets.h (one place, shared with the example).
MACRO_WIFI_SSID = "SECRET_WIFI_SSID"
MACRO_WIFI_PASSWORD = "SECRET_WIFI_PASSWORD"
MACRO_ENDPOINT = "SECRET_AWS_IOT_ENDPOINT"
MACRO_PORT = "SECRET_AWS_IOT_PORT"
MACRO_THING_NAME = "SECRET_THING_NAME"
MACRO_ROOT_CA = "SECRET_AWS_ROOT_CA"
MACRO_DEVICE_CERT = "SECRET_DEVICE_CERT"
MACRO_DEVICE_KEY = "SECRET_DEVICE_PRIVATE_KEY"

THING_NAME_RE = re.compile(r"^[a-zA-Z0-9:_-]{1,128}$")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ProvisionError(RuntimeError):
    """Provisioning failed; the message says what to do."""


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


# --------------------------------------------------------------------------- helpers
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


def fleet_thing_names(fleet_prefix: str, count: int) -> list[str]:
    """``sim-0001`` … ``sim-NNNN`` (at least four digits)."""
    if count < 1:
        raise ProvisionError("--fleet needs a positive number of devices")
    width = max(4, len(str(count)))
    names = [f"{fleet_prefix}-{i:0{width}d}" for i in range(1, count + 1)]
    for name in names[:1]:
        validate_thing_name(name)
    return names


def validate_thing_name(name: str) -> None:
    if not THING_NAME_RE.match(name):
        raise ProvisionError(
            f"invalid thing name {name!r}: use 1-128 characters from a-z A-Z 0-9 : _ - "
            "(the sensor payload schema requires the same for device_id)"
        )


def _error_code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


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


# --------------------------------------------------------------------------- provisioning
def _existing_valid(iot: Any, directory: Path, thing_name: str) -> DeviceCredentials | None:
    """The credentials in ``directory`` if their certificate is ACTIVE here and matches."""
    try:
        creds = DeviceCredentials.load(directory)
    except (FileNotFoundError, KeyError, ValueError):
        return None
    if creds.thing_name != thing_name or not (creds.cert_path.exists() and creds.key_path.exists()):
        return None
    try:
        desc = iot.describe_certificate(certificateId=creds.certificate_id)[
            "certificateDescription"
        ]
    except ClientError:
        return None
    if desc.get("status") != "ACTIVE":
        return None
    local_pem = creds.cert_path.read_text(encoding="ascii").strip()
    if str(desc.get("certificatePem", "")).strip() != local_pem:
        return None
    return creds


def provision_thing(
    thing_name: str,
    *,
    target: AwsTarget | None = None,
    prefix: str = "attempt",
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    policy_name: str | None = None,
    endpoint: tuple[str, int] | None = None,
    secrets_out: Path | str | None = None,
    wifi_ssid: str = PLACEHOLDER_SSID,
    wifi_password: str = PLACEHOLDER_PASSWORD,
) -> DeviceCredentials:
    """Create (or reuse) the thing, its certificate and attachments; write the files.

    ``policy_name`` and ``endpoint`` are looked up when not given (fleet provisioning looks
    them up once). ``secrets_out`` also writes ``arduino_secrets.h`` there.
    """
    validate_thing_name(thing_name)
    target = target or AwsTarget.from_env()
    names = ResourceNames(prefix)
    iot = target.client("iot")
    if policy_name is None:
        policy_name = find_device_policy(target, names)
    if endpoint is None:
        endpoint = _wrap_aws_errors("describe endpoint", lambda: describe_ats_endpoint(target))
    directory = Path(certs_dir) / thing_name

    def _create_thing() -> str:
        try:
            return str(iot.create_thing(thingName=thing_name)["thingArn"])
        except ClientError as e:
            if _error_code(e) == "ResourceAlreadyExistsException":
                return str(iot.describe_thing(thingName=thing_name)["thingArn"])
            raise

    try:
        thing_arn = _wrap_aws_errors("create thing", _create_thing)
        creds = _existing_valid(iot, directory, thing_name)
        created = creds is None
        if creds is None:
            resp = iot.create_keys_and_certificate(setAsActive=True)
            cert_id, cert_arn = str(resp["certificateId"]), str(resp["certificateArn"])
            directory.mkdir(parents=True, exist_ok=True)
            _write_public(directory / CERT_FILE, str(resp["certificatePem"]))
            _write_private(directory / KEY_FILE, str(resp["keyPair"]["PrivateKey"]))
        else:
            cert_id, cert_arn = creds.certificate_id, creds.certificate_arn
        iot.attach_policy(policyName=policy_name, target=cert_arn)
        iot.attach_thing_principal(thingName=thing_name, principal=cert_arn)
    except ClientError as e:
        raise ProvisionError(f"provisioning {thing_name} failed: {e}") from e

    local = target.local
    if local:
        mqtt_host = "127.0.0.1"
        if target.local_mqtt_port is None:
            raise ProvisionError(
                "local AWS: the MQTT port is unknown; pass --local, or export the variables of "
                "`wio-local-aws env` (WIO_MQTT_PORT)"
            )
        mqtt_port = target.local_mqtt_port
        _write_public(directory / LOCAL_CA_FILE, target.fetch_local_ca())
    else:
        mqtt_host, mqtt_port = endpoint
    _write_public(directory / ROOT_CA_FILE, amazon_root_ca1())
    result = DeviceCredentials(
        thing_name=thing_name,
        thing_arn=thing_arn,
        certificate_id=cert_id,
        certificate_arn=cert_arn,
        policy_name=policy_name,
        region=target.region,
        endpoint=endpoint[0],
        port=endpoint[1],
        directory=directory,
        mqtt_host=mqtt_host,
        mqtt_port=mqtt_port,
        local=local,
        created_certificate=created,
        aws_endpoint_url=target.endpoint_url if local else None,
    )
    _write_public(directory / THING_JSON, json.dumps(result.to_json(), indent=2) + "\n")
    if secrets_out is not None:
        write_secrets_header(
            Path(secrets_out),
            render_secrets_header(
                wifi_ssid=wifi_ssid,
                wifi_password=wifi_password,
                endpoint=result.endpoint,
                port=result.port,
                thing_name=thing_name,
                root_ca_pem=amazon_root_ca1(),
                cert_pem=result.cert_path.read_text(encoding="ascii"),
                key_pem=result.key_path.read_text(encoding="ascii"),
            ),
        )
    return result


def _parallel(fn: Callable[[str], Any], items: Sequence[str], concurrency: int) -> list[Any]:
    if concurrency <= 1 or len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="provision") as pool:
        return list(pool.map(fn, items))


def provision_things(
    thing_names: Sequence[str],
    *,
    target: AwsTarget | None = None,
    prefix: str = "attempt",
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[str], None] | None = None,
) -> list[DeviceCredentials]:
    """Provision many things with a bounded thread pool; policy and endpoint looked up once."""
    for name in thing_names:
        validate_thing_name(name)
    target = target or AwsTarget.from_env(concurrency=concurrency)
    names = ResourceNames(prefix)
    policy = find_device_policy(target, names)
    endpoint = _wrap_aws_errors("describe endpoint", lambda: describe_ats_endpoint(target))
    if target.local:
        target.fetch_local_ca()
    done = [0]
    started = time.monotonic()

    def one(name: str) -> DeviceCredentials:
        creds = provision_thing(
            name,
            target=target,
            prefix=prefix,
            certs_dir=certs_dir,
            policy_name=policy,
            endpoint=endpoint,
        )
        done[0] += 1
        if progress and (done[0] % 100 == 0 or done[0] == len(thing_names)):
            progress(
                f"provisioned {done[0]}/{len(thing_names)} things "
                f"({time.monotonic() - started:.1f}s)"
            )
        return creds

    return list(_parallel(one, list(thing_names), concurrency))


def provision_fleet(
    count: int,
    *,
    fleet_prefix: str = "sim",
    target: AwsTarget | None = None,
    prefix: str = "attempt",
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[str], None] | None = None,
) -> list[DeviceCredentials]:
    """Provision ``<fleet_prefix>-0001`` … ``<fleet_prefix>-NNNN``, each its own thing and cert."""
    return provision_things(
        fleet_thing_names(fleet_prefix, count),
        target=target,
        prefix=prefix,
        certs_dir=certs_dir,
        concurrency=concurrency,
        progress=progress,
    )


# --------------------------------------------------------------------------- deletion
def _retry_conflict(fn: Callable[[], Any], attempts: int = 8) -> Any:
    """Detaching is eventually consistent on AWS; retry DeleteConflict with backoff."""
    delay = 0.25
    for i in range(attempts):
        try:
            return fn()
        except ClientError as e:
            if _error_code(e) != "DeleteConflictException" or i == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 4.0)
    return None


def delete_thing(
    thing_name: str,
    *,
    target: AwsTarget | None = None,
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    remove_files: bool = True,
) -> bool:
    """Revoke and delete the thing's certificates and the thing; remove its local files.

    Idempotent: returns False when there was nothing left to delete in AWS.
    """
    target = target or AwsTarget.from_env()
    iot = target.client("iot")
    directory = Path(certs_dir) / thing_name
    principals: set[str] = set()
    try:
        principals.add(DeviceCredentials.load(directory).certificate_arn)
    except (FileNotFoundError, KeyError, ValueError):
        pass
    thing_exists = True
    try:
        resp = iot.list_thing_principals(thingName=thing_name)
        principals.update(str(p) for p in resp.get("principals", []))
    except ClientError as e:
        if _error_code(e) != "ResourceNotFoundException":
            raise ProvisionError(f"deleting {thing_name}: {e}") from e
        thing_exists = False
    except NoCredentialsError as e:
        raise _wrap_no_creds(e) from e
    deleted_any = thing_exists
    for arn in sorted(principals):
        if ":cert/" not in arn:
            continue
        cert_id = arn.rsplit("/", 1)[1]
        try:
            if thing_exists:
                try:
                    iot.detach_thing_principal(thingName=thing_name, principal=arn)
                except ClientError as e:
                    if _error_code(e) not in (
                        "ResourceNotFoundException",
                        "InvalidRequestException",
                    ):
                        raise
            # A certificate another thing still uses (a shared test cert) stays.
            others = iot.list_principal_things(principal=arn).get("things", [])
            if [t for t in others if t != thing_name]:
                continue
            for pol in iot.list_attached_policies(target=arn).get("policies", []):
                iot.detach_policy(policyName=pol["policyName"], target=arn)
            iot.update_certificate(certificateId=cert_id, newStatus="INACTIVE")
            _retry_conflict(lambda: iot.delete_certificate(certificateId=cert_id, forceDelete=True))
            deleted_any = True
        except ClientError as e:
            if _error_code(e) == "ResourceNotFoundException":
                continue
            raise ProvisionError(f"deleting certificate {cert_id} of {thing_name}: {e}") from e
    if thing_exists:
        try:
            _retry_conflict(lambda: iot.delete_thing(thingName=thing_name))
        except ClientError as e:
            if _error_code(e) != "ResourceNotFoundException":
                raise ProvisionError(f"deleting thing {thing_name}: {e}") from e
    if remove_files and directory.exists():
        shutil.rmtree(directory)
    return deleted_any


def _wrap_no_creds(e: Exception) -> ProvisionError:
    return ProvisionError(
        f'no AWS credentials ({e}); configure them, or run `eval "$(wio-local-aws env)"` '
        "/ pass --local for local AWS"
    )


def fleet_members(
    fleet_prefix: str, *, target: AwsTarget, certs_dir: Path | str = DEFAULT_CERTS_DIR
) -> list[str]:
    """Things named ``<fleet_prefix>-<digits>``, from the certs folder and the registry."""
    pattern = re.compile(rf"^{re.escape(fleet_prefix)}-\d+$")
    found: set[str] = set()
    base = Path(certs_dir)
    if base.is_dir():
        found.update(p.name for p in base.iterdir() if p.is_dir() and pattern.match(p.name))
    paginator = target.client("iot").get_paginator("list_things")
    for page in paginator.paginate():
        found.update(
            t["thingName"] for t in page.get("things", []) if pattern.match(t["thingName"])
        )
    return sorted(found)


def delete_things(
    thing_names: Iterable[str],
    *,
    target: AwsTarget | None = None,
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> int:
    target = target or AwsTarget.from_env(concurrency=concurrency)
    results = _parallel(
        lambda n: delete_thing(n, target=target, certs_dir=certs_dir),
        list(thing_names),
        concurrency,
    )
    return sum(1 for r in results if r)


def delete_fleet(
    fleet_prefix: str = "sim",
    *,
    count: int | None = None,
    target: AwsTarget | None = None,
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> int:
    """Delete a whole fleet (all ``<fleet_prefix>-NNNN`` things found, or the first ``count``)."""
    target = target or AwsTarget.from_env(concurrency=concurrency)
    names = (
        fleet_thing_names(fleet_prefix, count)
        if count is not None
        else fleet_members(fleet_prefix, target=target, certs_dir=certs_dir)
    )
    return delete_things(names, target=target, certs_dir=certs_dir, concurrency=concurrency)


# --------------------------------------------------------------------------- arduino_secrets.h
def c_string_literal(text: str) -> str:
    """One C string literal: printable ASCII kept, the rest as 3-digit octal escapes (UTF-8).

    Octal escapes have a fixed length, so a following digit can never join them; ``?`` is
    escaped so no trigraph forms.
    """
    out = ['"']
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "?":
            out.append("\\?")
        elif ch == "\n":
            out.append("\\n")
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


def _pem_macro(name: str, pem: str) -> str:
    lines = pem.strip().replace("\r\n", "\n").split("\n")
    body = " \\\n".join("    " + c_string_literal(line + "\n") for line in lines)
    return f"#define {name} \\\n{body}\n"


def render_secrets_header(
    *,
    wifi_ssid: str,
    wifi_password: str,
    endpoint: str,
    port: int,
    thing_name: str,
    root_ca_pem: str,
    cert_pem: str,
    key_pem: str,
    banner: str | None = None,
) -> str:
    """The text of ``arduino_secrets.h``: every value a C string literal (port an int)."""
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    banner = banner or (
        f"// arduino_secrets.h: generated by wio-provision ({generated}).\n"
        "// DO NOT COMMIT: it holds the device's private key.\n"
        "// Regenerate: wio-provision <thing> --wifi-ssid ... --wifi-password ...\n"
    )
    return (
        banner + "#pragma once\n\n"
        f"#define {MACRO_WIFI_SSID} {c_string_literal(wifi_ssid)}\n"
        f"#define {MACRO_WIFI_PASSWORD} {c_string_literal(wifi_password)}\n\n"
        "// AWS IoT Core ATS data endpoint\n"
        "// (aws iot describe-endpoint --endpoint-type iot:Data-ATS)\n"
        f"#define {MACRO_ENDPOINT} {c_string_literal(endpoint)}\n"
        f"#define {MACRO_PORT} {int(port)}\n"
        "// MQTT client id = thing name; the device policy only allows this id and its topic\n"
        f"#define {MACRO_THING_NAME} {c_string_literal(thing_name)}\n\n"
        "// Amazon Root CA 1 (from certifi), verifies the endpoint's server certificate\n"
        + _pem_macro(MACRO_ROOT_CA, root_ca_pem)
        + "\n// Device certificate\n"
        + _pem_macro(MACRO_DEVICE_CERT, cert_pem)
        + "\n// Device private key: keep secret\n"
        + _pem_macro(MACRO_DEVICE_KEY, key_pem)
    )


def write_secrets_header(path: Path, text: str) -> None:
    _write_private(path, text)


def render_secrets_example() -> str:
    """The committed ``arduino_secrets.h.example``: same macros, placeholder values."""
    placeholder_pem = "-----BEGIN {0}-----\nPASTE-{1}-HERE\n-----END {0}-----\n"
    return render_secrets_header(
        wifi_ssid=PLACEHOLDER_SSID,
        wifi_password=PLACEHOLDER_PASSWORD,
        endpoint="xxxxxxxxxxxxxx-ats.iot.ap-northeast-1.amazonaws.com",
        port=AWS_MQTT_PORT,
        thing_name="wio-terminal-01",
        root_ca_pem=placeholder_pem.format("CERTIFICATE", "AMAZON-ROOT-CA-1"),
        cert_pem=placeholder_pem.format("CERTIFICATE", "DEVICE-CERTIFICATE"),
        # No BEGIN/END markers here: secret scanners must not flag the committed example.
        key_pem="PASTE-DEVICE-PRIVATE-KEY-HERE\n",
        banner="// arduino_secrets.h.example: the macros the sketch reads from arduino_secrets.h.\n"
        "// Do not fill this in by hand: `wio-provision <thing> --wifi-ssid S --wifi-password P`\n"
        "// writes arduino_secrets.h (git-ignored) with the real certificate and key.\n",
    )


# --------------------------------------------------------------------------- CLI
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wio-provision",
        description="Provision Wio Terminal things (certificate, policy, endpoint) in AWS IoT "
        "Core or local AWS, and write their credentials and arduino_secrets.h.",
    )
    p.add_argument("things", nargs="*", metavar="THING", help="thing name(s)")
    p.add_argument("--fleet", type=int, metavar="N", help="provision N things <prefix>-0001…")
    p.add_argument("--fleet-prefix", default="sim", help="thing name prefix for --fleet (sim)")
    p.add_argument("--wifi-ssid", default=PLACEHOLDER_SSID)
    p.add_argument("--wifi-password", default=PLACEHOLDER_PASSWORD)
    p.add_argument("--prefix", default="attempt", help="stack resource prefix (attempt)")
    p.add_argument("--certs-dir", type=Path, default=DEFAULT_CERTS_DIR)
    p.add_argument(
        "--secrets-out",
        type=Path,
        default=None,
        help=f"arduino_secrets.h path, single thing only (default {DEFAULT_SECRETS_OUT})",
    )
    p.add_argument("--no-secrets", action="store_true", help="do not write arduino_secrets.h")
    p.add_argument("--delete", action="store_true", help="revoke and delete instead")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    p.add_argument("--region", default=None, help="AWS region (default ap-northeast-1)")
    p.add_argument("--endpoint-url", default=None, help="AWS API endpoint (local AWS)")
    p.add_argument(
        "--local",
        action="store_true",
        help="use the local AWS recorded by wio-local-aws",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.fleet is not None and args.things:
        parser.error("give thing names or --fleet N, not both")
    if args.fleet is None and not args.things and not args.delete:
        parser.error("give at least one thing name, or --fleet N")
    if args.secrets_out is not None and (args.fleet is not None or len(args.things) != 1):
        parser.error("--secrets-out needs exactly one thing name")
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        target = AwsTarget.from_env(
            region=args.region,
            endpoint_url=args.endpoint_url,
            use_local_state=args.local,
            concurrency=args.concurrency,
        )
        where = f"local AWS {target.endpoint_url}" if target.local else f"AWS {target.region}"
        if args.delete:
            if args.fleet is not None or not args.things:
                names = (
                    fleet_thing_names(args.fleet_prefix, args.fleet)
                    if args.fleet is not None
                    else fleet_members(args.fleet_prefix, target=target, certs_dir=args.certs_dir)
                )
            else:
                names = list(args.things)
            say(f"deleting {len(names)} thing(s) in {where} …")
            n = delete_things(
                names,
                target=target,
                certs_dir=args.certs_dir,
                concurrency=args.concurrency,
            )
            say(f"deleted {n} thing(s) and their certificates; removed local files")
            if len(names) == 1 and args.secrets_out is None:
                _remove_secrets_for(names[0], DEFAULT_SECRETS_OUT, say)
            elif args.secrets_out is not None:
                _remove_secrets_for(names[0], args.secrets_out, say)
            return 0
        t0 = time.monotonic()
        if args.fleet is not None:
            say(f"provisioning fleet {args.fleet_prefix} × {args.fleet} in {where} …")
            fleet = provision_fleet(
                args.fleet,
                fleet_prefix=args.fleet_prefix,
                target=target,
                prefix=args.prefix,
                certs_dir=args.certs_dir,
                concurrency=args.concurrency,
                progress=say,
            )
            new = sum(1 for c in fleet if c.created_certificate)
            say(
                f"fleet ready: {len(fleet)} things ({new} new certificates) in "
                f"{time.monotonic() - t0:.1f}s; credentials under {args.certs_dir}"
            )
            return 0
        if len(args.things) == 1:
            secrets = None if args.no_secrets else (args.secrets_out or DEFAULT_SECRETS_OUT)
            creds = provision_thing(
                args.things[0],
                target=target,
                prefix=args.prefix,
                certs_dir=args.certs_dir,
                secrets_out=secrets,
                wifi_ssid=args.wifi_ssid,
                wifi_password=args.wifi_password,
            )
            _report(creds, say)
            if secrets is not None:
                say(f"  sketch secrets: {secrets}")
                if args.wifi_ssid == PLACEHOLDER_SSID:
                    say(
                        "  (Wi-Fi SSID/password are placeholders: pass --wifi-ssid/--wifi-password)"
                    )
            return 0
        for creds in provision_things(
            args.things,
            target=target,
            prefix=args.prefix,
            certs_dir=args.certs_dir,
            concurrency=args.concurrency,
        ):
            _report(creds, say)
        return 0
    except ProvisionError as e:
        say(f"error: {e}")
        return 1


def _remove_secrets_for(thing_name: str, path: Path, say: Callable[[str], None]) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    if f"#define {MACRO_THING_NAME} {c_string_literal(thing_name)}" in text:
        path.unlink()
        say(f"removed {path}")


def _report(creds: DeviceCredentials, say: Callable[[str], None]) -> None:
    verb = "new certificate" if creds.created_certificate else "existing certificate kept"
    say(
        f"{creds.thing_name}: {verb} {creds.certificate_id[:12]}…, policy {creds.policy_name}, "
        f"endpoint {creds.endpoint}:{creds.port}"
    )
    say(f"  files: {creds.directory}")
    if creds.local:
        say(f"  local broker: {creds.mqtt_host}:{creds.mqtt_port} (CA {creds.ca_path.name})")


if __name__ == "__main__":
    sys.exit(main())
