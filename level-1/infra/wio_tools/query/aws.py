"""Backend choice, the clients the backends use, and the AWS error details messages use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from wio_tools.environment import AwsEnvironment
from wio_tools.query.model import QueryError, ResolvedBackend

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_dynamodb import DynamoDBClient


def resolve_backend(backend: str, environment: AwsEnvironment | None = None) -> ResolvedBackend:
    """``auto`` becomes ``local`` when the environment is local AWS, else ``athena``."""
    if backend == "athena":
        return "athena"
    if backend == "local":
        return "local"
    if backend != "auto":
        raise QueryError(f"unknown backend {backend!r}; use auto, athena or local")
    environment = environment or AwsEnvironment.resolve()
    return "local" if environment.is_local else "athena"


def dynamodb_client(environment: AwsEnvironment | None) -> DynamoDBClient:
    client: DynamoDBClient = (environment or AwsEnvironment.resolve()).client("dynamodb")
    return client


def athena_client(environment: AwsEnvironment | None) -> AthenaClient:
    client: AthenaClient = (environment or AwsEnvironment.resolve()).client("athena")
    return client


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def where(client: Any) -> str:
    """`` at <endpoint>`` for messages, when the client talks to a custom endpoint."""
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return f" at {url}" if url else ""
