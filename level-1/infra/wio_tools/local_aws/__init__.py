"""Local AWS for wio-terminal-aws-connect: MiniStack on 127.0.0.1, on free ports.

MiniStack (PyPI ``ministack``) emulates the AWS APIs on one HTTP "gateway" port and runs an
MQTT broker with mutual TLS (the IoT data plane) on a second port. This module starts it in the
background, waits until both are ready, records what it started in a state file, and stops
exactly that process group again.

    wio-local-aws start            # idempotent: reuses a healthy running instance
    eval "$(wio-local-aws env)"    # point the AWS CLI, boto3 and wio-sim at it
    wio-local-aws status
    wio-local-aws stop             # idempotent

Python:

    with LocalAws.start(state_file=tmp / "state.json") as aws:
        boto3.client("iot", **aws.boto3_kwargs())
        aws.restart()              # same ports, state kept (PERSIST_STATE=1)
        aws.log_text()             # MiniStack's log, e.g. to find rule failures

Notes:
- ``BIND_HOST=127.0.0.1`` keeps the gateway on loopback, but MiniStack 1.5.33's IoT mTLS
  listener binds all interfaces whatever ``BIND_HOST`` says. We pick a free high port for it
  and only ever connect to 127.0.0.1. Nothing here is meant for a shared network.
- State (things, certificates, DynamoDB items, the local CA) survives ``restart()`` because we
  run with ``PERSIST_STATE=1`` and a private ``STATE_DIR``; MiniStack writes it on a graceful
  shutdown (SIGTERM). A fresh ``start`` clears that directory.

The code lives in small modules; this package re-exports their public names, so
``from wio_tools.local_aws import ...`` keeps working:

- ``config``: region, host, MiniStack paths, the default state file, ``LocalAwsError``;
- ``system``: free ports, loopback HTTP, PID checks;
- ``instance``: ``LocalAwsInstance``, a local AWS's ports, files, state and boto3 clients;
- ``process``: ``LocalAws``, which starts, restarts and stops the MiniStack process;
- ``cli``: the ``wio-local-aws`` command line.
"""

from __future__ import annotations

from wio_tools.local_aws.cli import _format_env, main
from wio_tools.local_aws.config import (
    CA_PATH,
    DEFAULT_LOCAL_DIR,
    DEFAULT_STATE_FILE,
    DUMMY_ACCESS_KEY,
    DUMMY_SECRET_KEY,
    HEALTH_PATH,
    HOST,
    LEVEL1_DIR,
    READY_PATH,
    REGION,
    STATE_FILE_ENV,
    LocalAwsError,
    default_state_file,
)
from wio_tools.local_aws.instance import LocalAwsInstance
from wio_tools.local_aws.process import LocalAws
from wio_tools.local_aws.system import free_port

__all__ = [
    "REGION",
    "HOST",
    "LEVEL1_DIR",
    "DEFAULT_LOCAL_DIR",
    "DEFAULT_STATE_FILE",
    "STATE_FILE_ENV",
    "READY_PATH",
    "HEALTH_PATH",
    "CA_PATH",
    "DUMMY_ACCESS_KEY",
    "DUMMY_SECRET_KEY",
    "LocalAwsError",
    "default_state_file",
    "free_port",
    "LocalAwsInstance",
    "LocalAws",
    "_format_env",
    "main",
]
