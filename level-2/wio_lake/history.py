"""Made-up history of a device, as the level-1 rule would have stored it (demo and tests).

A daily temperature cycle (22 +/- 3 degC), steady humidity and light with small wobbles, one
reading every ``step`` seconds, ``received_at`` 150 ms after the measurement (epoch ms).
"""

from __future__ import annotations

import math
from typing import Any


def reading(device: str, ts: int) -> dict[str, Any]:
    cycle = math.sin(2 * math.pi * (ts % 86400) / 86400)
    return {
        "device_id": device,
        "timestamp": ts,
        "temperature": round(22 + 3 * cycle + (ts % 7) * 0.05, 2),
        "humidity": round(50 + (ts % 5) * 0.1, 1),
        "light": 300 + ts % 11,
    }


def history_items(device: str, *, now: int, days: int, step: int) -> list[dict[str, Any]]:
    """DynamoDB items (low-level format) from ``days`` ago until just before ``now``."""
    items = []
    start = (now - days * 86400) // step * step
    for ts in range(start, now - step, step):
        r = reading(device, ts)
        items.append(
            {
                "device_id": {"S": device},
                "timestamp": {"N": str(ts)},
                "temperature": {"N": str(r["temperature"])},
                "humidity": {"N": str(r["humidity"])},
                "light": {"N": str(r["light"])},
                "received_at": {"N": str(ts * 1000 + 150)},
                "raw_payload": {"S": "e30="},
            }
        )
    return items


def put_items(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for i in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]
        response = ddb.batch_write_item(RequestItems={table: batch})
        unprocessed = response.get("UnprocessedItems")
        if unprocessed:
            raise RuntimeError(f"DynamoDB left items unprocessed: {len(unprocessed[table])}")
