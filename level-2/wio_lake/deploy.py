"""Run the pinned cdk CLI (level 1's node_modules) on the level-2 app.

Deploy order: level 1 first (its table stream ARN is exported), then level 2; destroy in the
reverse order. Locally both go into the same MiniStack with ``-c local=true``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path

from wio_tools import deploy as level1_deploy

APP_DIR = Path(__file__).resolve().parent.parent / "infra"
DeployError = level1_deploy.DeployError


def _run(args: list[str], env: Mapping[str, str], *, quiet: bool) -> str:
    return level1_deploy.run_cdk(args, env, quiet=quiet, app_dir=APP_DIR)


def deploy(
    env: Mapping[str, str], *, context: Mapping[str, str], quiet: bool = True
) -> dict[str, str]:
    """`cdk deploy` the analytics stack; returns its outputs."""
    with tempfile.TemporaryDirectory(prefix="wio-l2-") as tmp:
        outputs_file = Path(tmp) / "outputs.json"
        _run(
            ["deploy", "--require-approval", "never", "--outputs-file", str(outputs_file),
             *level1_deploy.context_args(context)],  # fmt: skip
            env,
            quiet=quiet,
        )
        data: dict[str, dict[str, str]] = json.loads(outputs_file.read_text())
    return next(iter(data.values())) if data else {}


def destroy(env: Mapping[str, str], *, context: Mapping[str, str], quiet: bool = True) -> None:
    _run(["destroy", "--force", *level1_deploy.context_args(context)], env, quiet=quiet)


#: Local deploys: short batching so a test or the demo sees the lake within seconds.
LOCAL_CONTEXT = {"local": "true", "stream_batching_window_seconds": "1", "stream_batch_size": "100"}


def deploy_local(
    env: Mapping[str, str], *, prefix: str = "attempt", extra: Mapping[str, str] | None = None,
    quiet: bool = True,
) -> dict[str, str]:  # fmt: skip
    """Deploy level 1 (bootstrap included) and level 2 into the local emulator."""
    level1_deploy.deploy_local(env, prefix=prefix, quiet=quiet)
    return deploy(env, context={**LOCAL_CONTEXT, "prefix": prefix, **(extra or {})}, quiet=quiet)


def destroy_local(env: Mapping[str, str], *, prefix: str = "attempt", quiet: bool = True) -> None:
    """Level 2 first (it imports level 1's export), then level 1."""
    destroy(env, context={"local": "true", "prefix": prefix}, quiet=quiet)
    level1_deploy.destroy(env, context={"local": "true", "prefix": prefix}, quiet=quiet)
