"""The run: provision a fleet, run it, wait for the store to settle, measure, clean up."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Sequence

from wio_simulator.engine import DeviceSpec, FleetConfig, FleetResult
from wio_simulator.workers import run_fleet_workers
from wio_simulator.flow import (
    AWS_MAX_PUBLISH_PER_SECOND_PER_CONNECTION,
    AWS_SAFE_CONNECTS_PER_SECOND_PER_ACCOUNT,
    percentile,
)
from wio_tools.bench.analysis import analyse_store, diagnose_limit, steady_rate
from wio_tools.bench.report import BenchReport
from wio_tools.bench.resources import (
    machine_cpu_times,
    process_cpu_seconds,
    process_peak_rss_mb,
)
from wio_tools.bench.store import wait_until_stored
from wio_tools.bench.target import BenchError, BenchTarget, Say
from wio_tools.provision import (
    DeviceCredentials,
    ProvisionError,
    delete_things,
    fleet_thing_names,
    provision_things,
)

#: The rate counts as held at this fraction of the target (scheduling jitter, rounding).
HELD_FRACTION = 0.95


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
    fleet_overrides = dict(fleet_overrides or {})
    if fleet_overrides.get("stagger") is not None:
        stagger = float(fleet_overrides.pop("stagger"))
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
                overrides=fleet_overrides,
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
            # The same engine as wio-sim and bench-sim (one worker process per 1,000 devices).
            result = run_fleet_workers(cfg)
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
            ack_p95_ms=result.ack_p95_ms,
            lost=counts.lost,
            failed=result.failed,
            duplicates=counts.duplicates,
        ),
        fleet_prefix=fleet_prefix,
        count_method=method,
    )
    return report, result
