"""wio-doctor's probes through the deployed rules: each takes exactly its expected path.

The same test runs against a real account with --aws: that is where it matters, because
the emulator evaluates the rule's AND/OR one way and AWS documents no answer (see
wio_contract.iot_sql).
"""

from __future__ import annotations

import secrets
import time

from it_support import Target

from wio_contract.names import OUTPUT_REJECTED_QUEUE_URL
from wio_tools.doctor import (
    PROBE_THING_PREFIX,
    delete_stored,
    publish_probes,
    render_table,
    wait_for_results,
)


def test_every_probe_takes_its_expected_path(target: Target) -> None:
    thing = PROBE_THING_PREFIX + secrets.token_hex(3)
    results = publish_probes(target.environment, thing, int(time.time()))
    wait_for_results(
        target.environment,
        target.names,
        target.outputs[OUTPUT_REJECTED_QUEUE_URL],
        thing,
        results,
        timeout=60,
    )
    removed = delete_stored(target.environment, target.names, thing)
    table = render_table(results)
    assert all(r.verdict == "ok" for r in results), table
    assert removed == sum(1 for r in results if r.probe.expected == "stored")
    assert delete_stored(target.environment, target.names, thing) == 0
