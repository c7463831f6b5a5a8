"""The lookups provisioning needs where it works (an :class:`AwsEnvironment`).

``find_device_policy`` and ``describe_ats_endpoint`` read the stack's device policy and the
ATS data endpoint. ``ProvisionError`` is the one error every step raises.
"""

from __future__ import annotations

from typing import Any, Callable

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from wio_contract.names import OUTPUT_DEVICE_POLICY, ResourceNames
from wio_tools.environment import AWS_MQTT_PORT, CREDENTIALS_HINT, AwsEnvironment

DEFAULT_CONCURRENCY = 8


class ProvisionError(RuntimeError):
    """Provisioning failed; the message says what to do."""


# --------------------------------------------------------------------------- errors
def _error_code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


def _wrap_aws_errors(action: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except NoCredentialsError as e:
        raise ProvisionError(f"{action}: no AWS credentials; {CREDENTIALS_HINT}") from e
    except NoRegionError as e:
        raise ProvisionError(f"{action}: no region; pass --region ap-northeast-1") from e


def _wrap_no_creds(e: Exception) -> ProvisionError:
    return ProvisionError(f"no AWS credentials ({e}); {CREDENTIALS_HINT}")


# --------------------------------------------------------------------------- policy lookup
def find_device_policy(target: AwsEnvironment, names: ResourceNames) -> str:
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
            where = f" (local AWS {target.endpoint_url})" if target.is_local else ""
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


def _unreachable(target: AwsEnvironment, e: Exception) -> ProvisionError:
    if target.is_local:
        return ProvisionError(
            f"local AWS at {target.endpoint_url} is not reachable ({e}); "
            "start it with `make -C level-1 up` or `wio-local-aws start`"
        )
    return ProvisionError(f"AWS is not reachable ({e}); check your network and credentials")


def describe_ats_endpoint(target: AwsEnvironment) -> tuple[str, int]:
    """The ATS data endpoint host (what the device dials) and MQTT port 8883."""
    return target.ats_endpoint(), AWS_MQTT_PORT
