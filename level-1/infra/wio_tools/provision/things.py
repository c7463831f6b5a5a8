"""Provision things: names (single and fleet), certificate, policy, files."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

from botocore.exceptions import ClientError

from wio_contract.names import ResourceNames
from wio_tools.environment import AwsEnvironment
from wio_tools.provision.credentials import (
    CERT_FILE,
    DEFAULT_CERTS_DIR,
    KEY_FILE,
    LOCAL_CA_FILE,
    ROOT_CA_FILE,
    THING_JSON,
    DeviceCredentials,
    _write_private,
    _write_public,
    amazon_root_ca1,
)
from wio_tools.provision.secrets_header import (
    PLACEHOLDER_PASSWORD,
    PLACEHOLDER_SSID,
    render_secrets_header,
    write_secrets_header,
)
from wio_tools.provision.target import (
    DEFAULT_CONCURRENCY,
    ProvisionError,
    _error_code,
    _wrap_aws_errors,
    describe_ats_endpoint,
    find_device_policy,
)

THING_NAME_RE = re.compile(r"^[a-zA-Z0-9:_-]{1,128}$")


# --------------------------------------------------------------------------- names
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
    target: AwsEnvironment | None = None,
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
    target = target or AwsEnvironment.resolve()
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

    local = target.is_local
    if local:
        if target.mqtt_host is None:
            raise ProvisionError(
                "local AWS: the MQTT port is unknown; pass --local, or export the variables of "
                "`wio-local-aws env` (WIO_MQTT_PORT)"
            )
        mqtt_host, mqtt_port = target.mqtt_host, target.mqtt_port
        _write_public(directory / LOCAL_CA_FILE, target.local_ca_pem())
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
    target: AwsEnvironment | None = None,
    prefix: str = "attempt",
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[str], None] | None = None,
) -> list[DeviceCredentials]:
    """Provision many things with a bounded thread pool; policy and endpoint looked up once."""
    for name in thing_names:
        validate_thing_name(name)
    target = target or AwsEnvironment.resolve(max_pool_connections=concurrency + 2)
    names = ResourceNames(prefix)
    policy = find_device_policy(target, names)
    endpoint = _wrap_aws_errors("describe endpoint", lambda: describe_ats_endpoint(target))
    if target.is_local:
        target.local_ca_pem()
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
    target: AwsEnvironment | None = None,
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
