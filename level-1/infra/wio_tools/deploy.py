"""Run the real cdk CLI (pinned in package.json) against local or real AWS.

Used by `make -C level-1 demo/up` and by the integration-test session fixture,
so the stack under test is exactly what `cdk deploy` produces.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Mapping

from wio_contract.names import DEFAULT_REGION
from wio_tools.environment import LOCAL_ACCOUNT

INFRA_DIR = Path(__file__).resolve().parent.parent


class DeployError(RuntimeError):
    """The cdk CLI failed; the message carries the tail of its output."""


def cdk_executable() -> Path:
    exe = INFRA_DIR / "node_modules" / ".bin" / ("cdk.cmd" if os.name == "nt" else "cdk")
    if not exe.exists():
        raise DeployError(
            f"The pinned cdk CLI is missing ({exe}). Run `npm ci` in level-1/infra "
            "(or `make -C level-1 setup`)."
        )
    return exe


def run_cdk(
    args: list[str], env: Mapping[str, str], *, quiet: bool, app_dir: Path = INFRA_DIR
) -> str:
    """Run the pinned cdk CLI on the CDK app in ``app_dir`` (level 1's, or level 2's)."""
    # A private cloud assembly folder: a user's own `cdk synth` (or another test session)
    # holds a lock on cdk.out, and the two must not collide.
    with tempfile.TemporaryDirectory(prefix="wio-cdk-out-") as out_dir:
        cmd = [str(cdk_executable()), *args, "--output", out_dir]
        full_env = {**os.environ, **env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
        # The venv's python must run app.py even when the caller did not activate it.
        venv_bin = Path(sys.executable).parent
        full_env["PATH"] = f"{venv_bin}{os.pathsep}{full_env.get('PATH', '')}"
        proc = subprocess.run(
            cmd,
            cwd=app_dir,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
        )
    if not quiet or proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        if proc.returncode != 0:
            raise DeployError(
                f"`cdk {' '.join(args)}` in {app_dir} failed (exit {proc.returncode}):\n{tail}"
            )
        print(tail)
    return proc.stdout


def context_args(context: Mapping[str, str]) -> list[str]:
    args: list[str] = []
    for key, value in context.items():
        args += ["-c", f"{key}={value}"]
    return args


def bootstrap(env: Mapping[str, str], *, account: str, region: str, quiet: bool = True) -> None:
    run_cdk(["bootstrap", f"aws://{account}/{region}"], env, quiet=quiet)


def deploy(
    env: Mapping[str, str],
    *,
    context: Mapping[str, str],
    quiet: bool = True,
) -> dict[str, str]:
    """`cdk deploy` the level-1 stack; returns its CloudFormation outputs."""
    with tempfile.TemporaryDirectory(prefix="wio-cdk-") as tmp:
        outputs_file = Path(tmp) / "outputs.json"
        run_cdk(
            [
                "deploy",
                "--require-approval",
                "never",
                "--outputs-file",
                str(outputs_file),
                *context_args(context),
            ],
            env,
            quiet=quiet,
        )
        data: dict[str, dict[str, str]] = json.loads(outputs_file.read_text())
    # One stack in this app.
    return next(iter(data.values())) if data else {}


def deploy_local(
    env: Mapping[str, str], *, prefix: str = "attempt", quiet: bool = True
) -> dict[str, str]:
    """Bootstrap and deploy into the local emulator (connector and named queries off)."""
    region = env.get("AWS_REGION", DEFAULT_REGION)
    bootstrap(env, account=LOCAL_ACCOUNT, region=region, quiet=quiet)
    return deploy(env, context={"local": "true", "prefix": prefix}, quiet=quiet)


def destroy(env: Mapping[str, str], *, context: Mapping[str, str], quiet: bool = True) -> None:
    run_cdk(["destroy", "--force", *context_args(context)], env, quiet=quiet)
