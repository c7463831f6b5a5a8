"""One bench-sim run: CA and certificates → mosquitto → counting subscriber → the fleet
(``wio_simulator.workers``) → settle → compare → report. Everything is stopped at the end."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator
from contextlib import contextmanager

from wio_simulator.config import MQTT_V5, MQTT_V311, DeviceSpec, FleetConfig
from wio_simulator.engine import FleetResult
from wio_simulator.workers import default_workers, run_fleet_workers
from wio_tools.bench.analysis import steady_rate
from wio_tools.bench.resources import machine_cpu_times, process_cpu_seconds
from wio_tools.simbench.analysis import compare
from wio_tools.simbench.broker import COUNTER_USER, Mosquitto
from wio_tools.simbench.counter import Counter, CounterSpec
from wio_tools.simbench.report import SimBenchReport, held_reason

Say = Callable[[str], None]
#: Connects per second for the whole fleet on mosquitto: a handshake costs the simulator about
#: 1.5 ms of CPU and the broker about 1 ms, so this keeps the ramp-up under ~half a core.
DEFAULT_CONNECT_RATE = 250.0


def fleet_names(n: int, prefix: str = "sim") -> list[str]:
    width = max(4, len(str(n)))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, n + 1)]


@dataclass
class SimEnv:
    """A broker with ``devices`` certificates issued, and the counting subscriber's spec."""

    broker: Mosquitto
    specs: list[DeviceSpec]
    counter: CounterSpec
    certs: dict[str, Any] = field(default_factory=dict)


@contextmanager
def sim_env(devices: int, *, prefix: str = "sim", counter_clients: int = 1) -> Iterator[SimEnv]:
    tmp = Path(tempfile.mkdtemp(prefix="wio-simbench-"))
    names = fleet_names(devices, prefix)
    broker = Mosquitto.start(tmp, names)
    try:
        certs_dir = tmp / "certs"
        issued = {n: broker.issue(n, certs_dir) for n in names}
        counter_cert = broker.issue(COUNTER_USER, certs_dir)
        specs = [DeviceSpec(n, str(c.cert_path), str(c.key_path)) for n, c in issued.items()]
        counter = CounterSpec(
            broker.port, str(broker.ca.ca_path), str(counter_cert.cert_path),
            str(counter_cert.key_path), clients=counter_clients,
        )  # fmt: skip
        yield SimEnv(broker, specs, counter, issued)
    finally:
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def fleet_config(env: SimEnv, **kw: Any) -> FleetConfig:
    base: dict[str, Any] = dict(
        host="127.0.0.1",
        port=env.broker.port,
        ca_file=str(env.broker.ca.ca_path),
        devices=env.specs,
        connect_workers=64,
    )
    base.update(kw)
    return FleetConfig(**base)


def run_sim_bench(
    *,
    devices: int,
    duration: float,
    interval: float = 1.0,
    workers: int | None = None,
    connect_rate: float = DEFAULT_CONNECT_RATE,
    protocol: int = MQTT_V311,
    counter_clients: int | None = None,
    say: Say | None = None,
    fleet: dict[str, Any] | None = None,
) -> tuple[SimBenchReport, FleetResult]:
    out: Say = say or (lambda _line: None)
    t_setup = time.monotonic()
    clients = counter_clients or (1 if devices / interval <= 3000 else 2)
    with sim_env(devices, counter_clients=clients) as env:
        opts: dict[str, Any] = dict(fleet or {})
        spread = opts.pop("stagger", None)
        if spread is None:
            spread = max(interval, devices / connect_rate if connect_rate > 0 else 0.0)
        cfg = fleet_config(
            env, interval=interval, duration=duration, stagger=spread,
            max_connect_rate=connect_rate, protocol=protocol, drain_timeout=30.0, **opts,
        )  # fmt: skip
        n_workers = workers or default_workers(devices)
        with Counter(env.counter) as counter:
            setup_s = time.monotonic() - t_setup
            out(
                f"mosquitto pid {env.broker.pid} on 127.0.0.1:{env.broker.port}; {devices} "
                f"devices in {n_workers} worker(s), starts spread over {spread:.1f}s "
                f"(≤{connect_rate:g} connects/s); setup took {setup_s:.1f}s"
            )
            broker_cpu0 = process_cpu_seconds(env.broker.pid) if env.broker.pid else None
            counter_cpu0 = process_cpu_seconds(counter.pid) if counter.pid else None
            machine0 = machine_cpu_times()
            result = run_fleet_workers(cfg, n_workers, progress=say is not None)
            machine1 = machine_cpu_times()
            counter.wait_settled(result.acknowledged, timeout=20.0)
            broker_cpu = _delta(process_cpu_seconds, env.broker.pid, broker_cpu0)
            counter_cpu = _delta(process_cpu_seconds, counter.pid, counter_cpu0)
            received = counter.stop()
        allowed = {
            spec.device_id
            for spec in cfg.devices
            if env.broker.allows(spec.device_id, spec.publish_topic)
        }
    counts = compare(result, received, allowed.__contains__)
    # The sustained rate while every device is connected and publishing (the engine's own
    # steady window); a run too short for one falls back to the bench's fixed window.
    if result.window_s > 0:
        achieved, window = result.window_rate, result.window_s
    else:
        achieved, window = steady_rate(result, result.start_wall, spread, interval, duration)
    busy = None
    if machine0 and machine1 and machine1[1] > machine0[1]:
        busy = (machine1[0] - machine0[0]) / (machine1[1] - machine0[1])
    held, reason = held_reason(
        target=cfg.target_rate, achieved=achieved, lost=counts.lost,
        duplicates=counts.duplicates, refused=counts.refused, failed=result.failed,
        ack_p95_ms=result.ack_p95_ms,
    )  # fmt: skip
    overall = result.cpu_s * 1000.0 / result.acknowledged if result.acknowledged else 0.0
    # No steady window (not every device got connected): the whole run's figure stands in.
    per_msg = result.window_cpu_ms_per_msg if result.window_acks else overall
    if not result.window_acks:
        reason += "; no steady window (not every device connected), CPU figures are overall"
    connect_cpu = max(0.0, result.cpu_s * 1000.0 - per_msg * result.acknowledged)
    report = SimBenchReport(
        devices=devices, workers=result.workers, interval_s=interval, duration_s=duration,
        protocol="5" if protocol == MQTT_V5 else "3.1.1", target_rate=cfg.target_rate,
        achieved_rate=achieved, steady_window_s=window, expected=result.expected,
        generated=result.generated, sent=result.sent, acknowledged=result.acknowledged,
        failed=result.failed, resent=result.retried, stored=counts.stored,
        redelivered=counts.redelivered, lost=counts.lost,
        lost_acknowledged=counts.lost_acknowledged, duplicates=counts.duplicates,
        refused=counts.refused, refused_by_reason_code=counts.refused_by_reason_code,
        refused_silently=counts.refused_silently, ack_p50_ms=result.ack_p50_ms,
        ack_p95_ms=result.ack_p95_ms, ack_p99_ms=result.ack_p99_ms,
        delivery_p95_ms=counts.delivery_p95_ms, connects=result.connects,
        connect_failures=result.connect_failures, reconnects=result.reconnects,
        link_drops=result.link_drops, skewed_stamps=result.skewed, alerts=result.alerts,
        connect_p50_ms=result.connect_p50_ms, connect_p95_ms=result.connect_p95_ms,
        sim_cpu_s=result.cpu_s, sim_cpu_ms_per_msg=per_msg, sim_cpu_ms_per_msg_overall=overall,
        sim_cpu_ms_per_connect=connect_cpu / max(1, result.connects),
        sim_peak_rss_mb=result.peak_rss_mb,
        sim_kb_per_device=(result.peak_rss_mb - result.baseline_rss_mb) * 1024.0 / devices,
        broker_cpu_s=broker_cpu, counter_cpu_s=counter_cpu, machine_busy_fraction=busy,
        setup_s=setup_s, held=held, reason=reason,
    )  # fmt: skip
    return report, result


def _delta(
    fn: Callable[[int], float | None], pid: int | None, before: float | None
) -> float | None:
    if pid is None or before is None:
        return None
    after = fn(pid)
    return None if after is None else after - before
