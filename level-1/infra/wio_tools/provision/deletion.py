"""Revoke and delete things (single, many, or a whole fleet) and their local files."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from botocore.exceptions import ClientError, NoCredentialsError

from wio_tools.environment import AwsEnvironment
from wio_tools.provision.credentials import DEFAULT_CERTS_DIR, DeviceCredentials
from wio_tools.provision.target import (
    DEFAULT_CONCURRENCY,
    ProvisionError,
    _error_code,
    _wrap_no_creds,
)
from wio_tools.provision.things import _parallel, fleet_thing_names


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
    target: AwsEnvironment | None = None,
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    remove_files: bool = True,
) -> bool:
    """Revoke and delete the thing's certificates and the thing; remove its local files.

    Idempotent: returns False when there was nothing left to delete in AWS.
    """
    target = target or AwsEnvironment.resolve()
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


def fleet_members(
    fleet_prefix: str, *, target: AwsEnvironment, certs_dir: Path | str = DEFAULT_CERTS_DIR
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
    target: AwsEnvironment | None = None,
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> int:
    target = target or AwsEnvironment.resolve(max_pool_connections=concurrency + 2)
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
    target: AwsEnvironment | None = None,
    certs_dir: Path | str = DEFAULT_CERTS_DIR,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> int:
    """Delete a whole fleet (all ``<fleet_prefix>-NNNN`` things found, or the first ``count``)."""
    target = target or AwsEnvironment.resolve(max_pool_connections=concurrency + 2)
    names = (
        fleet_thing_names(fleet_prefix, count)
        if count is not None
        else fleet_members(fleet_prefix, target=target, certs_dir=certs_dir)
    )
    return delete_things(names, target=target, certs_dir=certs_dir, concurrency=concurrency)
