"""Tests against a local mosquitto set up like AWS IoT Core (``wio_tools.simbench``).

Each test starts its own broker on a free 127.0.0.1 port and stops it by PID. Without the
``mosquitto`` binary (``apt-get install mosquitto``; CI installs it) they are skipped.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--aws"):
        skip = pytest.mark.skip(reason="a local broker test; not run with --aws")
    elif shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists():
        return
    else:
        skip = pytest.mark.skip(reason="mosquitto is not installed (apt-get install mosquitto)")
    for item in items:
        if "mosquitto" in item.keywords:
            item.add_marker(skip)
