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
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Iterator, Sequence

from infra.names import ResourceNames
from wio_simulator.engine import DeviceSpec, FleetConfig, FleetResult, run_fleet
from wio_simulator.estimate import PRICES_READ, CostEstimate, estimate_cost
from wio_simulator.flow import (
    AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
    AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
    percentile,
)
from wio_simulator.readings import ReadingGenerator, payload_size
from wio_tools.provision import (
    AwsTarget,
    DeviceCredentials,
    ProvisionError,
    delete_things,
    fleet_thing_names,
    provision_things,
)

Say = Callable[[str], None]
# 1,000 devices x 1 msg/s exceeds what MiniStack (one Python process, about one core)
# sustains with the two validating rules on a 2-core machine; 300 holds (LOAD_TESTING.md).
DEFAULT_DEVICES = 300
DEFAULT_INTERVAL = 1.0
DEFAULT_DURATION = 60.0
DEFAULT_MAX_COST_USD = 1.0
#: The rate counts as held at this fraction of the target (scheduling jitter, rounding).
HELD_FRACTION = 0.95
#: A process using this share of one core for the whole run is taken as CPU-bound.
BUSY_CORE_FRACTION = 0.85
LAST_LINE_FIELDS = (
    "devices",
    "target_rate",
    "achieved_rate",
    "sent",
    "stored",
    "lost",
    "duplicates",
    "ack_p95_ms",
    "store_p95_ms",
)


class BenchError(RuntimeError):
    """The benchmark could not run (not: it ran and found losses)."""


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so every ``finally`` cleans up."""


# --------------------------------------------------------------------------- where it runs
@dataclass
class BenchTarget:
    """A deployed stack to benchmark: local AWS (``local`` set) or a real AWS account."""

    kind: str  # "local" or "aws"
    region: str
    names: ResourceNames
    mqtt_host: str | None  # None: the ATS endpoint, looked up while provisioning
    mqtt_port: int
    ca_path: Path | None
    endpoint_url: str | None = None
    local: Any = None  # wio_tools.local_aws.LocalAws
    _provision: AwsTarget | None = field(default=None, repr=False)

    @property
    def is_local(self) -> bool:
        return self.kind == "local"

    @classmethod
    def from_local(cls, local: Any, prefix: str) -> BenchTarget:
        """A running :class:`~wio_tools.local_aws.LocalAws` with the stack deployed."""
        return cls(
            kind="local",
            region=local.region,
            names=ResourceNames(prefix),
            mqtt_host="127.0.0.1",
            mqtt_port=local.mqtt_port,
            ca_path=Path(local.ca_path),
            endpoint_url=local.endpoint_url,
            local=local,
        )

    @classmethod
    def real_aws(cls, prefix: str, region: str | None = None) -> BenchTarget:
        region = (
            region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or "ap-northeast-1"
        )
        return cls(
            kind="aws", region=region, names=ResourceNames(prefix), mqtt_host=None,
            mqtt_port=8883, ca_path=None,
        )  # fmt: skip

    def provision_target(self, concurrency: int) -> AwsTarget:
        if self._provision is None:
            if self.is_local:
                assert self.ca_path is not None
                self._provision = AwsTarget(
                    region=self.region,
                    endpoint_url=self.endpoint_url,
                    local_mqtt_port=self.mqtt_port,
                    local_ca_pem=self.ca_path.read_text(encoding="ascii"),
                    concurrency=concurrency,
                )
            else:
                self._provision = AwsTarget(region=self.region, concurrency=concurrency)
        return self._provision

    def dynamodb(self) -> Any:
        return self.provision_target(8).client("dynamodb")


# --------------------------------------------------------------------------- CPU of others
def _clock_ticks() -> int:
    try:
        return int(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100


def process_cpu_seconds(pid: int) -> float | None:
    """User+system CPU seconds of a process and its waited-for children (Linux /proc)."""
    try:
        fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the ")" field 3 is index 0: utime=14, stime=15, cutime=16, cstime=17.
    ticks = sum(int(fields_[i]) for i in (11, 12, 13, 14))
    return ticks / _clock_ticks()


def process_peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


def machine_cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    values = [float(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)
    return sum(values) - idle, sum(values)


# --------------------------------------------------------------------------- the report
@dataclass
class BenchReport:
    kind: str
    devices: int
    interval_s: float
    duration_s: float
    target_rate: float
    achieved_rate: float
    overall_rate: float
    steady_window_s: float
    expected: int
    generated: int
    sent: int
    acknowledged: int
    failed: int
    retried: int
    stored: int
    lost: int
    lost_acknowledged: int
    duplicates: int
    unexpected: int
    ack_p50_ms: float
    ack_p95_ms: float
    ack_p99_ms: float
    store_p50_ms: float
    store_p95_ms: float
    store_p99_ms: float
    store_settle_s: float
    provision_s: float
    provision_per_device_ms: float
    run_s: float
    connects: int
    connect_failures: int
    disconnects: int
    sim_cpu_s: float
    sim_cores: float
    sim_peak_rss_mb: float
    emulator_cpu_s: float | None
    emulator_cores: float | None
    emulator_peak_rss_mb: float | None
    machine_busy_fraction: float | None
    cpu_count: int
    max_connect_rate: float
    max_publish_rate: float
    held: bool
    limit: str
    fleet_prefix: str
    count_method: str

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.failed == 0

    def last_line(self) -> str:
        return format_last_line(
            devices=self.devices,
            target_rate=self.target_rate,
            achieved_rate=self.achieved_rate,
            sent=self.sent,
            stored=self.stored,
            lost=self.lost,
            duplicates=self.duplicates,
            ack_p95_ms=self.ack_p95_ms,
            store_p95_ms=self.store_p95_ms,
        )

    def summary_lines(self) -> list[str]:
        emu = (
            f"emulator cpu={self.emulator_cpu_s:.1f}s ({self.emulator_cores:.2f} cores) "
            f"peak_rss={self.emulator_peak_rss_mb or 0:.0f}MB"
            if self.emulator_cpu_s is not None and self.emulator_cores is not None
            else "emulator cpu=n/a"
        )
        machine = (
            f"machine busy={self.machine_busy_fraction * 100:.0f}% of {self.cpu_count} cores"
            if self.machine_busy_fraction is not None
            else f"{self.cpu_count} cores"
        )
        return [
            f"provisioning: {self.devices} things in {self.provision_s:.1f}s "
            f"({self.provision_per_device_ms:.0f} ms/device)",
            f"fleet: {self.devices} devices × every {self.interval_s:g}s for "
            f"{self.duration_s:g}s; run took {self.run_s:.1f}s; connects={self.connects} "
            f"connect_failures={self.connect_failures} disconnects={self.disconnects}",
            f"rate: target={self.target_rate:.1f}/s sustained={self.achieved_rate:.1f}/s "
            f"(steady window {self.steady_window_s:.1f}s) overall={self.overall_rate:.1f}/s",
            f"counts: expected={self.expected} generated={self.generated} sent={self.sent} "
            f"acknowledged={self.acknowledged} failed={self.failed} retried={self.retried}",
            f"store ({self.count_method}): stored={self.stored} lost={self.lost} "
            f"(of them acknowledged: {self.lost_acknowledged}) duplicates={self.duplicates} "
            f"unexpected={self.unexpected}; settled {self.store_settle_s:.1f}s after the run",
            f"publish->ack ms: p50={self.ack_p50_ms:.1f} p95={self.ack_p95_ms:.1f} "
            f"p99={self.ack_p99_ms:.1f}",
            f"publish->stored ms: p50={self.store_p50_ms:.1f} p95={self.store_p95_ms:.1f} "
            f"p99={self.store_p99_ms:.1f}",
            f"simulator cpu={self.sim_cpu_s:.1f}s ({self.sim_cores:.2f} cores) "
            f"peak_rss={self.sim_peak_rss_mb:.0f}MB; {emu}; {machine}",
            f"held: {'yes' if self.held else 'NO'}; limit: {self.limit}",
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["last_line"] = self.last_line()
        return data


def format_last_line(
    *,
    devices: int,
    target_rate: float,
    achieved_rate: float,
    sent: int,
    stored: int,
    lost: int,
    duplicates: int,
    ack_p95_ms: float,
    store_p95_ms: float,
) -> str:
    return (
        f"devices={devices} target_rate={target_rate:.1f} achieved_rate={achieved_rate:.1f} "
        f"sent={sent} stored={stored} lost={lost} duplicates={duplicates} "
        f"ack_p95_ms={ack_p95_ms:.1f} store_p95_ms={store_p95_ms:.1f}"
    )


def parse_last_line(line: str) -> dict[str, float]:
    """The numbers of a last line; raises ValueError unless it has exactly the fields."""
    parts = line.strip().split(" ")
    keys = tuple(p.split("=", 1)[0] for p in parts)
    if keys != LAST_LINE_FIELDS or any(p.count("=") != 1 for p in parts):
        raise ValueError(f"not a benchmark last line: {line!r}")
    return {p.split("=", 1)[0]: float(p.split("=", 1)[1]) for p in parts}


# --------------------------------------------------------------------------- reading back
def _stored_scan(ddb: Any, table: str, fleet_prefix: str) -> list[dict[str, Any]]:
    """Every item of the fleet's devices: one paginated Scan, filtered server-side."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "ConsistentRead": True,
        "FilterExpression": "begins_with(device_id, :p)",
        "ProjectionExpression": "device_id, #ts, seq, received_at",
        "ExpressionAttributeNames": {"#ts": "timestamp"},
        "ExpressionAttributeValues": {":p": {"S": f"{fleet_prefix}-"}},
    }
    while True:
        page = ddb.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _stored_query(ddb: Any, table: str, device_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every item of the fleet's devices: one paginated key Query per device (8 at a time)."""

    def one(device_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": table,
            "ConsistentRead": True,
            "KeyConditionExpression": "device_id = :d",
            "ProjectionExpression": "device_id, #ts, seq, received_at",
            "ExpressionAttributeNames": {"#ts": "timestamp"},
            "ExpressionAttributeValues": {":d": {"S": device_id}},
        }
        while True:
            page = ddb.query(**kwargs)
            out.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="bench-query") as pool:
        return [item for chunk in pool.map(one, device_ids) for item in chunk]


@dataclass(frozen=True)
class StoredItem:
    device_id: str
    timestamp: int
    seq: int | None
    received_at: int | None


def _plain(item: dict[str, Any]) -> StoredItem:
    def num(name: str) -> int | None:
        value = item.get(name, {}).get("N")
        return int(float(value)) if value is not None else None

    ts = num("timestamp")
    return StoredItem(
        device_id=item["device_id"]["S"],
        timestamp=ts if ts is not None else -1,
        seq=num("seq"),
        received_at=num("received_at"),
    )


def read_stored(
    target: BenchTarget, fleet_prefix: str, device_ids: Sequence[str], method: str
) -> list[StoredItem]:
    ddb = target.dynamodb()
    wanted = set(device_ids)
    if method == "scan":
        raw = _stored_scan(ddb, target.names.table, fleet_prefix)
    elif method == "query":
        raw = _stored_query(ddb, target.names.table, list(device_ids))
    else:
        raise ValueError(f"unknown count method {method!r}")
    items = [_plain(i) for i in raw]
    return [i for i in items if i.device_id in wanted]


def wait_until_stored(
    target: BenchTarget,
    fleet_prefix: str,
    device_ids: Sequence[str],
    expected_keys: set[tuple[str, int]],
    *,
    method: str,
    timeout: float,
    settle: float,
    say: Say,
) -> tuple[list[StoredItem], float]:
    """Read back until every expected key is stored, or nothing new arrived for ``settle`` s
    (or ``timeout`` passed). Returns the items and the seconds it took."""
    t0 = time.monotonic()
    last_count = -1
    last_change = t0
    while True:
        items = read_stored(target, fleet_prefix, device_ids, method)
        keys = {(i.device_id, i.timestamp) for i in items}
        now = time.monotonic()
        if expected_keys <= keys:
            return items, now - t0
        if len(items) != last_count:
            last_count, last_change = len(items), now
        missing = len(expected_keys - keys)
        if now - last_change >= settle or now - t0 >= timeout:
            say(f"store: giving up with {missing} key(s) missing after {now - t0:.1f}s")
            return items, now - t0
        say(f"store: {len(items)} item(s), {missing} still missing; reading again")
        time.sleep(min(2.0, max(0.5, settle / 5)))


# --------------------------------------------------------------------------- analysis
@dataclass
class _Counts:
    stored: int
    lost: int
    lost_acknowledged: int
    duplicates: int
    unexpected: int
    store_latencies: list[float]


def analyse_store(result: FleetResult, items: Sequence[StoredItem]) -> _Counts:
    """Compare what the simulator sent with what the table holds."""
    by_key = result.by_key()
    sent_keys = {k for k, m in by_key.items() if m.attempts > 0}
    stored_keys = {(i.device_id, i.timestamp) for i in items}
    lost = sent_keys - stored_keys
    lost_acked = {k for k in lost if by_key[k].acked}
    per_seq: dict[tuple[str, int | None], int] = {}
    for i in items:
        per_seq[(i.device_id, i.seq)] = per_seq.get((i.device_id, i.seq), 0) + 1
    duplicates = sum(n - 1 for n in per_seq.values() if n > 1)
    unexpected = len(stored_keys - set(by_key))
    latencies: list[float] = []
    for i in items:
        record = by_key.get((i.device_id, i.timestamp))
        if record is None or i.received_at is None or record.last_sent_ms <= 0:
            continue
        latencies.append(float(i.received_at) - record.last_sent_ms)
    return _Counts(
        stored=len(items),
        lost=len(lost),
        lost_acknowledged=len(lost_acked),
        duplicates=duplicates,
        unexpected=unexpected,
        store_latencies=latencies,
    )


def steady_rate(
    result: FleetResult, wall_start: float, stagger: float, interval: float, duration: float
) -> tuple[float, float]:
    """(acknowledged msg/s, window seconds) while every device was producing.

    Device *i* starts at ``stagger * i / n`` and produces until about ``duration`` after its
    start, so all of them run in [stagger, duration]. Without such a window (a run shorter
    than the stagger) it falls back to acknowledged / (last ack - first send).
    """
    lo = wall_start + stagger
    hi = wall_start + duration - interval / 2
    window = hi - lo
    if window < max(2.0, 2 * interval):
        return result.achieved_rate, result.send_window_s
    lo_ms, hi_ms = lo * 1000.0, hi * 1000.0
    acks = sum(1 for m in result.messages if m.acked and lo_ms <= m.acked_ms < hi_ms)
    return acks / window, window


def diagnose_limit(
    *,
    held: bool,
    target_rate: float,
    achieved_rate: float,
    sim_cores: float,
    emulator_cores: float | None,
    machine_busy: float | None,
    cpu_count: int,
    interval: float,
    max_publish_rate: float,
    store_p95_ms: float,
    is_local: bool,
) -> str:
    """Which limit the run met, in words (for the report and the docs)."""
    parts: list[str] = []
    if max_publish_rate > 0 and 1.0 / interval > max_publish_rate:
        parts.append(
            f"per-connection publish cap ({max_publish_rate:g}/s) below 1/interval "
            f"({1.0 / interval:g}/s)"
        )
    if emulator_cores is not None and emulator_cores >= BUSY_CORE_FRACTION:
        parts.append(
            f"emulator CPU: MiniStack used {emulator_cores:.2f} cores (one Python process "
            "tops out near one core)"
        )
    if sim_cores >= BUSY_CORE_FRACTION:
        parts.append(f"simulator CPU: {sim_cores:.2f} cores (one asyncio loop ≈ one core)")
    if machine_busy is not None and machine_busy >= 0.9:
        parts.append(f"machine CPU: {machine_busy * 100:.0f}% of {cpu_count} cores busy")
    if held:
        busy = "; near a limit: " + ", ".join(parts) if parts else ""
        where = "local AWS" if is_local else "AWS"
        return (
            f"none: {where} kept up with {achieved_rate:.0f}/{target_rate:.0f} msg/s, "
            f"store p95 {store_p95_ms:.0f} ms{busy}"
        )
    if parts:
        return "; ".join(parts)
    return (
        "not CPU-bound by these measures (check ack/store latencies and the emulator log: "
        "I/O, connect-rate cap or the stagger)"
    )


# --------------------------------------------------------------------------- the run
def bench_fleet_prefix() -> str:
    return f"bench-{uuid.uuid4().hex[:6]}"


def _fleet_config(
    target: BenchTarget,
    creds: Sequence[DeviceCredentials],
    *,
    interval: float,
    duration: float,
    stagger: float,
    max_connect_rate: float,
    max_publish_rate: float,
    drain_timeout: float,
    progress: Say | None,
    overrides: dict[str, Any],
) -> FleetConfig:
    first = creds[0]
    cfg = FleetConfig(
        host=target.mqtt_host or first.mqtt_host,
        port=target.mqtt_port if target.is_local else first.mqtt_port,
        devices=[DeviceSpec(c.thing_name, str(c.cert_path), str(c.key_path)) for c in creds],
        ca_file=str(target.ca_path or first.ca_path),
        insecure_hostname=target.is_local,
        interval=interval,
        duration=duration,
        stagger=stagger,
        max_connect_rate=max_connect_rate,
        max_publish_rate=max_publish_rate,
        # Enough connect threads that TLS handshakes keep up with the connect-rate cap.
        connect_workers=8,
        drain_timeout=drain_timeout,
        progress=progress,
        progress_interval=5.0 if progress else 0.0,
    )
    for key, value in overrides.items():
        if not hasattr(cfg, key):
            raise ValueError(f"FleetConfig has no field {key!r}")
        setattr(cfg, key, value)
    return cfg


def run_benchmark(
    target: BenchTarget,
    *,
    devices: int,
    interval: float,
    duration: float,
    fleet_prefix: str | None = None,
    certs_dir: Path | None = None,
    max_connect_rate: float = AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
    max_publish_rate: float = AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
    stagger: float | None = None,
    count_method: str | None = None,
    store_timeout: float = 180.0,
    store_settle: float = 20.0,
    drain_timeout: float = 60.0,
    provision_concurrency: int = 8,
    delete_fleet_after: bool = True,
    say: Say | None = None,
    fleet_overrides: dict[str, Any] | None = None,
) -> tuple[BenchReport, FleetResult]:
    """Provision a fleet on ``target`` (stack already deployed), run it, read the table back.

    ``stagger`` defaults to the larger of the interval and the time the connect-rate cap
    needs for the whole fleet, so devices start as fast as they may connect.
    """
    if devices < 1 or interval <= 0 or duration <= 0:
        raise BenchError("devices, interval and duration must be positive")
    out: Say = say or (lambda _line: None)
    fleet_prefix = fleet_prefix or bench_fleet_prefix()
    method = count_method or ("scan" if target.is_local else "query")
    if stagger is None:
        stagger = max(interval, devices / max_connect_rate if max_connect_rate > 0 else 0.0)
    names = fleet_thing_names(fleet_prefix, devices)
    ptarget = target.provision_target(provision_concurrency)
    with tempfile.TemporaryDirectory(prefix="wio-bench-certs-") as tmp:
        certs = certs_dir or Path(tmp)
        creds: list[DeviceCredentials] = []
        try:
            out(f"provisioning {devices} things ({fleet_prefix}-…) …")
            t0 = time.monotonic()
            creds = provision_things(
                names,
                target=ptarget,
                prefix=target.names.prefix,
                certs_dir=certs,
                concurrency=provision_concurrency,
                progress=out,
            )
            provision_s = time.monotonic() - t0
            out(
                f"provisioned {len(creds)} things in {provision_s:.1f}s "
                f"({provision_s / devices * 1000:.0f} ms/device, {provision_concurrency} workers)"
            )
            cfg = _fleet_config(
                target,
                creds,
                interval=interval,
                duration=duration,
                stagger=stagger,
                max_connect_rate=max_connect_rate,
                max_publish_rate=max_publish_rate,
                drain_timeout=drain_timeout,
                progress=out if say else None,
                overrides=fleet_overrides or {},
            )
            out(
                f"running {devices} devices × every {interval:g}s for {duration:g}s "
                f"(target {cfg.target_rate:.0f} msg/s, {cfg.expected_messages} readings; "
                f"starts staggered over {stagger:.1f}s, ≤{max_connect_rate:g} connects/s) …"
            )
            emu_pid = target.local.pid if target.local is not None else None
            emu_cpu0 = process_cpu_seconds(emu_pid) if emu_pid else None
            machine0 = machine_cpu_times()
            wall_start = time.time()
            result = run_fleet(cfg)
            machine1 = machine_cpu_times()
            emu_cpu1 = process_cpu_seconds(emu_pid) if emu_pid else None
            for line in result.summary_lines():
                out(f"  {line}")
            expected_keys = {k for k, m in result.by_key().items() if m.attempts > 0}
            items, settle_s = wait_until_stored(
                target,
                fleet_prefix,
                names,
                expected_keys,
                method=method,
                timeout=store_timeout,
                settle=store_settle,
                say=out,
            )
        finally:
            if delete_fleet_after and creds:
                out(f"deleting the fleet ({len(creds)} things) …")
                try:
                    delete_things(
                        [c.thing_name for c in creds],
                        target=ptarget,
                        certs_dir=certs,
                        concurrency=provision_concurrency,
                    )
                except ProvisionError as exc:
                    out(f"warning: deleting the fleet failed: {exc}")
    counts = analyse_store(result, items)
    achieved, window = steady_rate(result, wall_start, stagger, interval, duration)
    emu_cpu = (
        emu_cpu1 - emu_cpu0 if emu_cpu0 is not None and emu_cpu1 is not None else None
    )  # fmt: skip
    machine_busy = None
    if machine0 and machine1 and machine1[1] > machine0[1]:
        machine_busy = (machine1[0] - machine0[0]) / (machine1[1] - machine0[1])
    elapsed = max(result.elapsed_s, 1e-9)
    store_p95 = percentile(counts.store_latencies, 95)
    held = (
        counts.lost == 0
        and counts.duplicates == 0
        and result.failed == 0
        and achieved >= HELD_FRACTION * cfg.target_rate
        # Stored within a few intervals, not just eventually (a growing backlog fails this).
        and store_p95 <= max(2000.0, 3 * interval * 1000.0)
    )
    sim_cores = result.cpu_s / elapsed
    emu_cores = emu_cpu / elapsed if emu_cpu is not None else None
    cpu_count = os.cpu_count() or 1
    report = BenchReport(
        kind=target.kind,
        devices=devices,
        interval_s=interval,
        duration_s=duration,
        target_rate=cfg.target_rate,
        achieved_rate=achieved,
        overall_rate=result.achieved_rate,
        steady_window_s=window,
        expected=result.expected,
        generated=result.generated,
        sent=result.sent,
        acknowledged=result.acknowledged,
        failed=result.failed,
        retried=result.retried,
        stored=counts.stored,
        lost=counts.lost,
        lost_acknowledged=counts.lost_acknowledged,
        duplicates=counts.duplicates,
        unexpected=counts.unexpected,
        ack_p50_ms=result.ack_p50_ms,
        ack_p95_ms=result.ack_p95_ms,
        ack_p99_ms=result.ack_p99_ms,
        store_p50_ms=percentile(counts.store_latencies, 50),
        store_p95_ms=store_p95,
        store_p99_ms=percentile(counts.store_latencies, 99),
        store_settle_s=settle_s,
        provision_s=provision_s,
        provision_per_device_ms=provision_s / devices * 1000.0,
        run_s=result.elapsed_s,
        connects=result.connects,
        connect_failures=result.connect_failures,
        disconnects=result.disconnects,
        sim_cpu_s=result.cpu_s,
        sim_cores=sim_cores,
        sim_peak_rss_mb=result.peak_rss_mb,
        emulator_cpu_s=emu_cpu,
        emulator_cores=emu_cores,
        emulator_peak_rss_mb=process_peak_rss_mb(emu_pid) if emu_pid else None,
        machine_busy_fraction=machine_busy,
        cpu_count=cpu_count,
        max_connect_rate=max_connect_rate,
        max_publish_rate=max_publish_rate,
        held=held,
        limit=diagnose_limit(
            held=held,
            target_rate=cfg.target_rate,
            achieved_rate=achieved,
            sim_cores=sim_cores,
            emulator_cores=emu_cores,
            machine_busy=machine_busy,
            cpu_count=cpu_count,
            interval=interval,
            max_publish_rate=max_publish_rate,
            store_p95_ms=store_p95,
            is_local=target.is_local,
        ),
        fleet_prefix=fleet_prefix,
        count_method=method,
    )
    return report, result


# --------------------------------------------------------------------------- cost guard
def cost_estimate(devices: int, interval: float, duration: float) -> CostEstimate:
    per_device = max(1, int(round(duration / interval)))
    size = payload_size(ReadingGenerator("bench-0001").reading(1_800_000_000, per_device))
    return estimate_cost(devices, per_device, duration, size)


def cost_guard(args: argparse.Namespace, say: Say) -> int | None:
    """Print count and cost; an exit code when the run must not go ahead, else None."""
    est = cost_estimate(args.devices, args.interval, args.duration)
    for line in est.lines():
        say(line)
    say(
        f"limits: ≤{args.max_publish_rate:g} publishes/s per connection, "
        f"≤{args.connect_rate:g} connects/s (AWS IoT Core quotas; prices read {PRICES_READ})"
    )
    if args.estimate:
        return 0
    if est.total_usd > args.max_cost:
        say(
            f"refusing: the estimate ${est.total_usd:.2f} is above --max-cost "
            f"${args.max_cost:.2f}; lower --devices/--duration or raise --max-cost"
        )
        return 3
    if args.aws and not args.yes:
        say("refusing: a run against real AWS is billed; pass --yes to go ahead")
        return 3
    return None


# --------------------------------------------------------------------------- CLI
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m wio_tools.bench",
        description="Fleet benchmark: N simulated devices → MQTT/mTLS → IoT rule → DynamoDB; "
        "counts what was stored, lost and duplicated. Local AWS by default.",
    )
    p.add_argument("--devices", type=int, default=DEFAULT_DEVICES)
    p.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, help="s per device")
    p.add_argument("--duration", type=float, default=DEFAULT_DURATION, help="s of publishing")
    p.add_argument("--prefix", default="attempt", help="resource-name prefix of the stack")
    p.add_argument("--fleet-prefix", default=None, help="thing names (default bench-<random>)")
    p.add_argument(
        "--keep",
        action="store_true",
        help="local: leave local AWS running (with the stack and the data) afterwards",
    )
    p.add_argument("--json", type=Path, default=None, help="write the full report here")
    p.add_argument(
        "--connect-rate",
        type=float,
        default=AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
        help="fleet-wide connects/s cap (default: the AWS-safe 100/s)",
    )
    p.add_argument(
        "--max-publish-rate",
        type=float,
        default=AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
        help="publishes/s per connection (AWS quota 100)",
    )
    p.add_argument("--count-method", choices=["scan", "query"], default=None)
    p.add_argument("--store-timeout", type=float, default=180.0)
    aws = p.add_argument_group("real AWS (billed)")
    aws.add_argument("--aws", action="store_true", help="benchmark the stack deployed in AWS")
    aws.add_argument("--region", default=None)
    aws.add_argument("--estimate", action="store_true", help="print count and cost, then exit")
    aws.add_argument("--max-cost", type=float, default=DEFAULT_MAX_COST_USD, help="USD cap")
    aws.add_argument("--yes", action="store_true", help="confirm a billed run on real AWS")
    return p


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


@contextmanager
def local_target(prefix: str, keep: bool, say: Say) -> Iterator[BenchTarget]:
    """Start local AWS in a temporary folder, deploy the stack, stop it all on exit."""
    from wio_tools import deploy
    from wio_tools.local_aws import LocalAws

    tmp = Path(tempfile.mkdtemp(prefix="wio-bench-"))
    say(f"starting local AWS (MiniStack) on 127.0.0.1, state in {tmp} …")
    local = LocalAws.start(tmp / "state.json")
    try:
        say(f"API {local.endpoint_url}, MQTT/mTLS 127.0.0.1:{local.mqtt_port}")
        t0 = time.monotonic()
        say("cdk bootstrap + cdk deploy -c local=true …")
        deploy.deploy_local(local.env(), prefix=prefix)
        say(f"deployed {ResourceNames(prefix).stack} in {time.monotonic() - t0:.0f}s")
        yield BenchTarget.from_local(local, prefix)
    finally:
        if keep and local.is_running():
            say(
                f"--keep: local AWS left running (pid {local.pid}); stop it with "
                f"`uv run wio-local-aws stop --state-file {local.state_file}`"
            )
        else:
            say("stopping local AWS …")
            local.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def say(msg: str) -> None:
        print(msg, flush=True)

    if args.devices < 1 or args.interval <= 0 or args.duration <= 0:
        say("error: --devices, --interval and --duration must be positive")
        return 2
    if args.aws or args.estimate:
        code = cost_guard(args, say)
        if code is not None:
            return code
    old = signal.signal(signal.SIGTERM, _sigterm)
    report: BenchReport | None = None
    try:
        if args.aws:
            target = BenchTarget.real_aws(args.prefix, args.region)
            report, _ = run_benchmark(
                target,
                devices=args.devices,
                interval=args.interval,
                duration=args.duration,
                fleet_prefix=args.fleet_prefix,
                max_connect_rate=args.connect_rate,
                max_publish_rate=args.max_publish_rate,
                count_method=args.count_method,
                store_timeout=args.store_timeout,
                say=say,
            )
        else:
            with local_target(args.prefix, args.keep, say) as target:
                report, _ = run_benchmark(
                    target,
                    devices=args.devices,
                    interval=args.interval,
                    duration=args.duration,
                    fleet_prefix=args.fleet_prefix,
                    max_connect_rate=args.connect_rate,
                    max_publish_rate=args.max_publish_rate,
                    count_method=args.count_method,
                    store_timeout=args.store_timeout,
                    # The emulator and its data go at the end anyway (or stay with --keep).
                    delete_fleet_after=False,
                    say=say,
                )
    except (KeyboardInterrupt, _Terminated):
        say("interrupted: everything started was stopped")
        return 130
    except (BenchError, ProvisionError) as exc:
        say(f"error: {exc}")
        return 2
    finally:
        signal.signal(signal.SIGTERM, old)
    say("")
    for line in report.summary_lines():
        say(line)
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), indent=1) + "\n", encoding="utf-8")
        say(f"report written to {args.json}")
    print(report.last_line(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
