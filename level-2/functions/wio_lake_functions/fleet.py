"""Run one function per device on a few threads (boto3 clients are thread-safe).

A device's exception is caught and logged: the run goes on, and the device is listed as failed.
``DEVICE_WORKERS`` (default 8) bounds the threads: enough to keep a 1,000-device run within
the Lambda timeout, few enough not to throttle a small on-demand table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

LOG = logging.getLogger()
T = TypeVar("T")


def for_each_device(
    devices: Sequence[str], work: Callable[[str], T], *, what: str
) -> tuple[dict[str, T], list[str]]:
    workers = max(1, int(os.environ.get("DEVICE_WORKERS", "8")))

    def guarded(device: str) -> tuple[str, T | None, bool]:
        try:
            return device, work(device), True
        except Exception:  # noqa: BLE001 - one device never stops the run
            LOG.exception("%s of %s failed", what, device)
            return device, None, False

    done: dict[str, T] = {}
    failed: list[str] = []
    with ThreadPoolExecutor(max_workers=min(workers, max(1, len(devices)))) as pool:
        for device, result, ok in pool.map(guarded, devices):
            if ok:
                done[device] = result  # type: ignore[assignment]
            else:
                failed.append(device)
    return done, failed
