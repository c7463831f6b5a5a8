"""Session fixture: the deployed stack the integration tests run against.

By default it starts local AWS (MiniStack) on free 127.0.0.1 ports and deploys
the stack into it with the real `cdk bootstrap` / `cdk deploy -c local=true`.
With `--aws` it uses the stack already deployed in the account that the usual
AWS credential chain selects; nothing is deployed or destroyed there.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError

from wio_contract.names import ResourceNames
from wio_tools import deploy
from wio_tools.environment import AwsEnvironment, AwsTargetError

from it_support import Target


def _amazon_root_ca(tmp: Path) -> Path:
    from wio_tools.provision import amazon_root_ca1

    path = tmp / "AmazonRootCA1.pem"
    path.write_text(amazon_root_ca1())
    return path


def _real_aws_target(prefix: str, tmp: Path) -> Target:
    names = ResourceNames(prefix)
    environment = AwsEnvironment.resolve()
    try:
        print(f"\n{environment.describe()}")
        cfn = environment.client("cloudformation")
        stack = cfn.describe_stacks(StackName=names.stack)["Stacks"][0]
        environment.mqtt_host = environment.ats_endpoint()
    except AwsTargetError as exc:
        pytest.exit(f"--aws: {exc}", returncode=2)
    except ClientError as exc:
        pytest.exit(
            f"stack {names.stack} not found in {environment.region}: deploy it first ({exc})", 2
        )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return Target(
        names=names,
        outputs=outputs,
        environment=environment,
        ca_path=_amazon_root_ca(tmp),
        env=environment.subprocess_env(),
    )


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    prefix = request.config.getoption("--prefix")
    with tempfile.TemporaryDirectory(prefix="wio-it-") as tmpdir:
        tmp = Path(tmpdir)
        if request.config.getoption("--aws"):
            yield _real_aws_target(prefix, tmp)
            return
        from wio_tools.local_aws import LocalAws

        with LocalAws.start(tmp / "local-aws" / "state.json") as local:
            env = local.env()
            outputs = deploy.deploy_local(env, prefix=prefix)
            target = Target(
                names=ResourceNames(prefix),
                outputs=outputs,
                environment=AwsEnvironment.for_local(local),
                ca_path=local.ca_path,
                env=env,
                local=local,
            )
            yield target
            _destroy_local_stack(target)
        assert not local.is_running(), "the local emulator outlived the test session"


def _destroy_local_stack(target: Target) -> None:
    """README section 8 locally: delete the devices, then `cdk destroy` removes everything."""
    from wio_tools.provision import delete_things

    iot = target.client("iot")
    things = [
        t["thingName"]
        for page in iot.get_paginator("list_things").paginate()
        for t in page["things"]
    ]
    if things:
        with tempfile.TemporaryDirectory() as empty_certs:
            delete_things(things, target=target.environment, certs_dir=empty_certs)
    deploy.destroy(target.env, context={"local": "true", "prefix": target.names.prefix})
    ddb = target.client("dynamodb")
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.describe_table(TableName=target.names.table)


# --------------------------------------------------------------------------- devices


@pytest.fixture(scope="session")
def provision_target(target: Target) -> AwsEnvironment:
    """The same environment object the tools use (wio-provision resolves it the same way)."""
    return target.environment


@pytest.fixture(scope="session")
def certs_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="wio-it-certs-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
def make_device(target: Target, provision_target: Any, certs_dir: Path) -> Iterator[Any]:
    """Factory: provision a thing for this session; every one is deleted at the end."""
    from wio_tools.provision import delete_thing, provision_thing

    made: list[str] = []
    run_id = uuid.uuid4().hex[:6]

    def make(label: str) -> Any:
        name = f"it-{run_id}-{label}"
        creds = provision_thing(
            name, target=provision_target, prefix=target.names.prefix, certs_dir=certs_dir
        )
        made.append(name)
        return creds

    yield make
    for name in made:
        delete_thing(name, target=provision_target, certs_dir=certs_dir)


@pytest.fixture(scope="session")
def connect(target: Target) -> Any:
    """Factory: an MQTT/mTLS publisher for provisioned credentials."""
    from mqtt_client import RawPublisher

    def open_client(creds: Any, *, connect: bool = True) -> RawPublisher:
        client = RawPublisher(
            host=target.mqtt_host,
            port=target.mqtt_port,
            client_id=creds.thing_name,
            ca_path=target.ca_path,
            cert_path=creds.cert_path,
            key_path=creds.key_path,
            insecure_hostname=target.is_local,
        )
        return client.connect() if connect else client

    return open_client
