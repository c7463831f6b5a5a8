"""What the simulator sent against what the counting subscriber received.

A reading's payload never changes on a re-send, so payload bytes identify a reading:

* **stored**: distinct readings of this fleet that reached the subscriber;
* **redelivered**: extra deliveries of a reading already counted (a re-send after a lost
  PUBACK; in DynamoDB it overwrites the same item, so it is not a duplicate);
* **duplicates**: a second, different payload for the same ``(device_id, seq)``;
* **refused**: publishes the broker refused. MQTT 5 says so in the PUBACK (reason code
  0x87, not authorized). MQTT 3.1.1 cannot: mosquitto 2 PUBACKs a publish its ACL denies
  and drops it, so an acknowledged reading that never arrived on a topic the ACL does not
  (or no longer does) allow is counted here, not as stored and not as lost;
* **lost**: sent, not refused, never received; ``lost_acknowledged`` are those with a PUBACK.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from wio_simulator.engine import FleetResult
from wio_simulator.flow import percentile

Received = dict[bytes, list[float]]
Allows = Callable[[str], bool]  # device_id -> may it (still) publish to its topic?


@dataclass
class SimCounts:
    stored: int
    redelivered: int
    duplicates: int
    unexpected: int
    refused: int
    refused_by_reason_code: int
    refused_silently: int
    lost: int
    lost_acknowledged: int
    delivery_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def delivery_p95_ms(self) -> float:
        return percentile(self.delivery_ms, 95)


def compare(result: FleetResult, received: Received, allows: Allows) -> SimCounts:
    stored = redelivered = refused_rc = refused_silent = lost = lost_acked = 0
    latencies: list[float] = []
    sent_payloads: set[bytes] = set()
    for m in result.messages:
        sent_payloads.add(m.payload)
        if m.attempts == 0:
            continue
        rec = received.get(m.payload)
        if rec is not None:
            stored += 1
            redelivered += int(rec[0]) - 1
            if m.last_sent_ms > 0:
                latencies.append(rec[1] - m.first_sent_ms)
        elif m.refused:
            refused_rc += 1
        elif m.acked and not allows(m.device_id):
            refused_silent += 1
        else:
            lost += 1
            lost_acked += int(m.acked)
    devices = {m.device_id for m in result.messages}
    seen: dict[tuple[str, int], bytes] = {}
    duplicates = unexpected = 0
    for payload in received:
        if payload in sent_payloads:
            continue
        try:
            doc = json.loads(payload)
            key = (str(doc["device_id"]), int(doc["seq"]))
        except (ValueError, KeyError, TypeError):
            continue  # another fleet's or a test's message
        if key[0] not in devices:
            continue
        unexpected += 1
        if key in seen or any(m.device_id == key[0] and m.seq == key[1] for m in result.messages):
            duplicates += 1
        seen[key] = payload
    return SimCounts(
        stored=stored,
        redelivered=redelivered,
        duplicates=duplicates,
        unexpected=unexpected,
        refused=refused_rc + refused_silent,
        refused_by_reason_code=refused_rc,
        refused_silently=refused_silent,
        lost=lost,
        lost_acknowledged=lost_acked,
        delivery_ms=latencies,
    )
