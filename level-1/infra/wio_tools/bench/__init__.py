"""`make -C level-1 bench`: the fleet benchmark. Every reading sent must be stored exactly once.

Local (default): start MiniStack on 127.0.0.1 (own temporary state) → ``cdk deploy -c
local=true`` → provision N things in a batch → run the asyncio fleet simulator (N mutual-TLS
MQTT connections, QoS 1) → read the fleet's items back from DynamoDB → report:

* sent / acknowledged / stored / lost (sent keys never stored) / duplicates (stored items
  beyond one per ``(device_id, seq)``, i.e. a re-send that made a second row);
* publish→PUBACK latency and publish→stored latency (item ``received_at``, the rule's
  server clock, minus the reading's last publish time; on the local emulator both clocks are
  this machine's) as p50/p95/p99;
* the sustained rate while every device is running, against the target rate;
* simulator CPU time and peak RSS; emulator CPU (local only); which limit was hit.

Everything it started is stopped at the end, also on failure or Ctrl-C (``--keep`` leaves
the local AWS running). ``--aws`` runs against the stack already deployed in the account the
usual credential chain selects: it prints the expected message count and estimated cost,
needs ``--yes``, refuses above ``--max-cost``, keeps the simulator's AWS-safe publish and
connect caps, and deletes the fleet afterwards.

The last line is always, exactly::

    devices=<n> target_rate=<msg/s> achieved_rate=<msg/s> sent=<n> stored=<n> lost=<n> \
duplicates=<n> ack_p95_ms=<x> store_p95_ms=<x>

``run_benchmark()`` is the reusable core: the smoke test calls it with the test session's
already-deployed local stack.

The package, one module per responsibility: ``target`` (where it runs), ``run`` (the run),
``store`` (reading back), ``analysis`` (counting, rate, limit), ``report`` (the report and
its last line), ``resources`` (CPU/memory from /proc), ``cli`` (arguments, cost guard,
``main``). Everything public is re-exported here.
"""

from wio_tools.bench.analysis import (
    BUSY_CORE_FRACTION,
    analyse_store,
    diagnose_limit,
    steady_rate,
)
from wio_tools.bench.cli import (
    DEFAULT_DEVICES,
    DEFAULT_DURATION,
    DEFAULT_INTERVAL,
    DEFAULT_MAX_COST_USD,
    build_parser,
    cost_estimate,
    cost_guard,
    main,
)
from wio_tools.bench.report import (
    LAST_LINE_FIELDS,
    BenchReport,
    format_last_line,
    parse_last_line,
)
from wio_tools.bench.resources import (
    machine_cpu_times,
    process_cpu_seconds,
    process_peak_rss_mb,
)
from wio_tools.bench.run import HELD_FRACTION, bench_fleet_prefix, run_benchmark
from wio_tools.bench.store import StoredItem, read_stored, wait_until_stored
from wio_tools.bench.target import BenchError, BenchTarget, Say, local_target

__all__ = [
    "BUSY_CORE_FRACTION",
    "DEFAULT_DEVICES",
    "DEFAULT_DURATION",
    "DEFAULT_INTERVAL",
    "DEFAULT_MAX_COST_USD",
    "HELD_FRACTION",
    "LAST_LINE_FIELDS",
    "BenchError",
    "BenchReport",
    "BenchTarget",
    "Say",
    "StoredItem",
    "analyse_store",
    "bench_fleet_prefix",
    "build_parser",
    "cost_estimate",
    "cost_guard",
    "diagnose_limit",
    "format_last_line",
    "local_target",
    "machine_cpu_times",
    "main",
    "parse_last_line",
    "process_cpu_seconds",
    "process_peak_rss_mb",
    "read_stored",
    "run_benchmark",
    "steady_rate",
    "wait_until_stored",
]
