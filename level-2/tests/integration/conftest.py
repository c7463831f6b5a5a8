"""Session fixture: MiniStack, level 1 and level 2 deployed by the real cdk CLI.

Order, as a user would do it: start local AWS, deploy level 1, let level 1 collect data (here:
a few days of history written into its table, as its rule would have), then deploy level 2.
The history predates the stream mapping, so only ``wio-lake backfill`` brings it into the lake.
Everything is destroyed (level 2 first) and the emulator stopped at the end.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from it_support import HISTORY_DAYS, HISTORY_DEVICE_LABEL, HISTORY_STEP, Target
from wio_contract.names import ResourceNames
from wio_lake import deploy
from wio_lake.history import history_items, put_items
from wio_tools import deploy as level1_deploy

PREFIX = "attempt"


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    from wio_tools.local_aws import LocalAws
    from wio_tools.environment import AwsEnvironment
    from wio_tools.provision import delete_thing, provision_thing

    names = ResourceNames(PREFIX)
    run_id = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="wio-l2-it-") as tmpdir:
        tmp = Path(tmpdir)
        with LocalAws.start(tmp / "local-aws" / "state.json") as local:
            env = local.env()
            level1_deploy.deploy_local(env, prefix=PREFIX)
            prov = AwsEnvironment.for_local(local)
            certs = tmp / "certs"
            hist = provision_thing(
                f"it-{run_id}-{HISTORY_DEVICE_LABEL}", target=prov, prefix=PREFIX, certs_dir=certs
            )
            items = history_items(
                hist.thing_name, now=int(time.time()), days=HISTORY_DAYS, step=HISTORY_STEP
            )
            put_items(local.client("dynamodb"), names.table, items)
            outputs = deploy.deploy(
                env, context={**deploy.LOCAL_CONTEXT, "prefix": PREFIX}, quiet=True
            )
            target = Target(
                names=names, outputs=outputs, env=env, local=local, provision_target=prov,
                certs_dir=certs, run_id=run_id, history_device=hist, history_rows=len(items),
                history_end=max(int(i["timestamp"]["N"]) for i in items),
            )  # fmt: skip
            yield target
            iot = local.client("iot")
            for thing in iot.list_things()["things"]:
                delete_thing(thing["thingName"], target=prov, certs_dir=certs)
            _remove_analytics_stack(target)
        assert not local.is_running(), "the local emulator outlived the test session"


@pytest.fixture(scope="session")
def make_device(target: Target) -> Any:
    from wio_tools.provision import provision_thing

    def make(label: str) -> Any:
        return provision_thing(
            f"it-{target.run_id}-{label}",
            target=target.provision_target,
            prefix=PREFIX,
            certs_dir=target.certs_dir,
        )

    return make


def _remove_analytics_stack(target: Target) -> None:
    """Level 2 is removable on its own: delete its stack, level 1 keeps running.

    CloudFormation's DeleteStack is what ``cdk destroy`` calls; calling it directly saves two
    synths (about 40 s). Level 1's own suite covers ``cdk destroy`` of level 1.
    """
    cfn = target.client("cloudformation")
    cfn.delete_stack(StackName=target.names.analytics_stack)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stacks = cfn.describe_stacks()["Stacks"]
        names = {s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"}
        if target.names.analytics_stack not in names:
            break
        time.sleep(1)
    ddb = target.client("dynamodb")
    tables = ddb.list_tables()["TableNames"]
    assert target.names.alerts_table not in tables
    assert target.names.table in tables, "level 1 must survive level 2's removal"
