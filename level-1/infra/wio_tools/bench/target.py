"""Where the benchmark runs: a deployed stack on local AWS or in a real AWS account.

:class:`BenchTarget` describes it; :func:`local_target` starts local AWS, deploys the stack
and stops it all again on exit.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from wio_contract.names import ResourceNames
from wio_tools.environment import AwsEnvironment

Say = Callable[[str], None]


class BenchError(RuntimeError):
    """The benchmark could not run (not: it ran and found losses)."""


@dataclass
class BenchTarget:
    """A deployed stack to benchmark: local AWS (``local`` set) or a real AWS account."""

    kind: str  # "local" or "aws"
    region: str
    names: ResourceNames
    mqtt_host: str | None  # None: the ATS endpoint, looked up while provisioning
    mqtt_port: int
    ca_path: Path | None
    endpoint_url: str | None = None
    local: Any = None  # wio_tools.local_aws.LocalAws
    _provision: AwsEnvironment | None = field(default=None, repr=False)

    @property
    def is_local(self) -> bool:
        return self.kind == "local"

    @classmethod
    def from_local(cls, local: Any, prefix: str) -> BenchTarget:
        """A running :class:`~wio_tools.local_aws.LocalAws` with the stack deployed."""
        return cls(
            kind="local",
            region=local.region,
            names=ResourceNames(prefix),
            mqtt_host="127.0.0.1",
            mqtt_port=local.mqtt_port,
            ca_path=Path(local.ca_path),
            endpoint_url=local.endpoint_url,
            local=local,
        )

    @classmethod
    def real_aws(cls, prefix: str, region: str | None = None) -> BenchTarget:
        """The account the usual credential chain selects; region and endpoint decided by
        :meth:`AwsEnvironment.resolve`, the one place that decides them."""
        env = AwsEnvironment.resolve(region=region)
        if env.is_local:
            raise BenchError(
                f"--aws, but AWS_ENDPOINT_URL points at this machine ({env.endpoint_url}); "
                "unset it, or run without --aws for local AWS"
            )
        return cls(
            kind="aws", region=env.region, names=ResourceNames(prefix), mqtt_host=None,
            mqtt_port=env.mqtt_port, ca_path=None, endpoint_url=env.endpoint_url, _provision=env,
        )  # fmt: skip

    def provision_target(self, concurrency: int) -> AwsEnvironment:
        if self._provision is None:
            assert self.local is not None
            self._provision = AwsEnvironment.for_local(
                self.local, max_pool_connections=concurrency + 2
            )
        return self._provision

    def dynamodb(self) -> Any:
        return self.provision_target(8).client("dynamodb")


@contextmanager
def local_target(prefix: str, keep: bool, say: Say) -> Iterator[BenchTarget]:
    """Start local AWS in a temporary folder, deploy the stack, stop it all on exit."""
    from wio_tools import deploy
    from wio_tools.local_aws import LocalAws

    tmp = Path(tempfile.mkdtemp(prefix="wio-bench-"))
    say(f"starting local AWS (MiniStack) on 127.0.0.1, state in {tmp} …")
    local = LocalAws.start(tmp / "state.json")
    try:
        say(f"API {local.endpoint_url}, MQTT/mTLS 127.0.0.1:{local.mqtt_port}")
        t0 = time.monotonic()
        say("cdk bootstrap + cdk deploy -c local=true …")
        deploy.deploy_local(local.env(), prefix=prefix)
        say(f"deployed {ResourceNames(prefix).stack} in {time.monotonic() - t0:.0f}s")
        yield BenchTarget.from_local(local, prefix)
    finally:
        if keep and local.is_running():
            say(
                f"--keep: local AWS left running (pid {local.pid}); stop it with "
                f"`uv run wio-local-aws stop --state-file {local.state_file}`"
            )
        else:
            say("stopping local AWS …")
            local.stop()
            shutil.rmtree(tmp, ignore_errors=True)
