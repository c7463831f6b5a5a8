"""Local AWS settings: region, loopback host, MiniStack's HTTP paths, the state file, errors."""

from __future__ import annotations

import os
from pathlib import Path

from wio_contract.names import DEFAULT_REGION

REGION = DEFAULT_REGION
HOST = "127.0.0.1"
LEVEL1_DIR = Path(__file__).resolve().parents[3]
DEFAULT_LOCAL_DIR = LEVEL1_DIR / ".local"
DEFAULT_STATE_FILE = DEFAULT_LOCAL_DIR / "state.json"
STATE_FILE_ENV = "WIO_LOCAL_STATE"
READY_PATH = "/_ministack/ready"
HEALTH_PATH = "/_ministack/health"
CA_PATH = "/_ministack/iot/ca.pem"
DUMMY_ACCESS_KEY = "test"
DUMMY_SECRET_KEY = "test"


class LocalAwsError(RuntimeError):
    """Local AWS could not be started, found or stopped; the message says what to do."""


def default_state_file() -> Path:
    """The state file: $WIO_LOCAL_STATE, else level-1/.local/state.json."""
    env = os.environ.get(STATE_FILE_ENV)
    return Path(env).expanduser().resolve() if env else DEFAULT_STATE_FILE
