"""Backend choice, boto3 sessions and clients, and the AWS error details messages use."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlparse

import boto3
from botocore.exceptions import ClientError

from wio_tools.query.model import QueryError, ResolvedBackend

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_dynamodb import DynamoDBClient

DEFAULT_REGION = "ap-northeast-1"

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"}
LOCAL_HOST_HINTS = ("ministack", "localstack", "moto")
ENDPOINT_ENV_VARS = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_ATHENA", "AWS_ENDPOINT_URL")


def endpoint_url(env: Mapping[str, str] | None = None) -> str | None:
    """The custom AWS endpoint from the environment, if any."""
    env = os.environ if env is None else env
    for var in ENDPOINT_ENV_VARS:
        value = env.get(var, "").strip()
        if value:
            return value
    return None


def is_local_endpoint(url: str | None) -> bool:
    """Whether ``url`` points at a local emulator (loopback, localhost or a known emulator)."""
    if not url:
        return False
    host = (urlparse(url if "://" in url else f"http://{url}").hostname or "").lower()
    if host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost"):
        return True
    return any(hint in host for hint in LOCAL_HOST_HINTS)


def resolve_backend(backend: str, env: Mapping[str, str] | None = None) -> ResolvedBackend:
    """``auto`` becomes ``local`` when the AWS endpoint is a local emulator, else ``athena``."""
    if backend == "athena":
        return "athena"
    if backend == "local":
        return "local"
    if backend != "auto":
        raise QueryError(f"unknown backend {backend!r}; use auto, athena or local")
    return "local" if is_local_endpoint(endpoint_url(env)) else "athena"


def make_session(region: str | None = None) -> boto3.Session:
    """A boto3 session in ``region``, else the configured region (AWS_DEFAULT_REGION, profile,
    or AWS_REGION as the AWS CLI and cdk read it), else ap-northeast-1."""
    session = boto3.Session(region_name=region) if region else boto3.Session()
    if session.region_name is None and os.environ.get("AWS_REGION"):
        session = boto3.Session(region_name=os.environ["AWS_REGION"])
    if session.region_name is None:
        session = boto3.Session(region_name=DEFAULT_REGION)
    return session


def _dynamodb(session: boto3.Session | None) -> DynamoDBClient:
    return (session or make_session()).client("dynamodb")


def _athena(session: boto3.Session | None) -> AthenaClient:
    return (session or make_session()).client("athena")


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _where(client: Any) -> str:
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return f" at {url}" if url else ""
