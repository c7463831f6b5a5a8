"""A fleet split over several processes, each with its own asyncio loop (``run_fleet_workers``).

One Python process is one core at most (the GIL), and TLS handshakes during the ramp-up
compete with publishing on the same loop. Worker *w* of *W* gets devices ``w, w+W, w+2W, …``,
keeps their place in the whole fleet (so start offsets and the per-device randomness are the
same as in one process), gets ``1/W`` of the fleet-wide connect-rate cap, and starts at the
same wall-clock moment as the others. The parent only waits and merges the results.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

from .config import DeviceSpec, FleetConfig
from .flow import percentile
from .result import FleetResult
from .runner import run_fleet

#: Devices one worker process is given by default (``workers=None``).
DEVICES_PER_WORKER = 1000


def default_workers(devices: int) -> int:
    return max(1, min(os.cpu_count() or 1, math.ceil(devices / DEVICES_PER_WORKER)))


def _worker(cfg: FleetConfig, index: int, progress: bool) -> FleetResult:
    if progress:
        cfg.progress = lambda line: print(f"[w{index}] {line}", file=sys.stderr, flush=True)
    return run_fleet(cfg)


def split_config(cfg: FleetConfig, workers: int, lead_s: float) -> list[FleetConfig]:
    start = time.time() + lead_s
    parts = []
    for w in range(workers):
        devices: list[DeviceSpec] = cfg.devices[w::workers]
        if not devices:
            continue
        parts.append(
            replace(
                cfg,
                devices=devices,
                index_base=w,
                index_stride=workers,
                fleet_size=len(cfg.devices),
                start_wall=start,
                max_connect_rate=cfg.max_connect_rate / workers if cfg.max_connect_rate else 0,
                progress=None,
                alert_out=None,
            )
        )
    return parts


def run_fleet_workers(
    cfg: FleetConfig, workers: int | None = None, *, progress: bool = False
) -> FleetResult:
    """Run ``cfg`` over ``workers`` processes (default: one per 1,000 devices, at most one
    per core) and merge their results; one worker runs in this process."""
    n = workers or default_workers(len(cfg.devices))
    if n <= 1:
        return run_fleet(cfg)
    # Spawned workers import the package and build their TLS contexts (~1.5 ms a device).
    lead = 1.5 + 0.002 * len(cfg.devices) / n
    parts = split_config(cfg, n, lead)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=ctx) as pool:
        futures = [pool.submit(_worker, p, w, progress) for w, p in enumerate(parts)]
        results = [f.result() for f in futures]
    return merge_results(results, cfg)


def merge_results(results: list[FleetResult], cfg: FleetConfig) -> FleetResult:
    msgs = [m for r in results for m in r.messages]
    lat = [m.ack_latency_ms for m in msgs if m.acked and m.ack_latency_ms > 0]
    sent = [m.first_sent_ms for m in msgs if m.attempts > 0]
    acks = [m.acked_ms for m in msgs if m.acked]
    total: dict[str, Any] = {}
    for key in (
        "expected generated sent acknowledged failed retried publishes connects "
        "connect_failures disconnects dropped refused reconnects link_drops skewed alerts "
        "window_acks"
    ).split():
        total[key] = sum(getattr(r, key) for r in results)
    return FleetResult(
        devices=len(cfg.devices),
        target_rate=cfg.target_rate,
        elapsed_s=max(r.elapsed_s for r in results),
        send_window_s=(max(acks) - min(sent)) / 1000.0 if sent and acks else 0.0,
        ack_p50_ms=percentile(lat, 50),
        ack_p95_ms=percentile(lat, 95),
        ack_p99_ms=percentile(lat, 99),
        cpu_s=sum(r.cpu_s for r in results),
        peak_rss_mb=sum(r.peak_rss_mb for r in results),
        messages=msgs,
        # Per-connect figures: the workers' own medians/p95s, the worst of them.
        connect_p50_ms=max(r.connect_p50_ms for r in results),
        connect_p95_ms=max(r.connect_p95_ms for r in results),
        window_s=min(r.window_s for r in results),
        window_cpu_s=sum(r.window_cpu_s for r in results),
        baseline_rss_mb=sum(r.baseline_rss_mb for r in results),
        workers=len(results),
        start_wall=min(r.start_wall for r in results),
        _window_rate=sum(r.window_rate for r in results),
        **total,
    )
