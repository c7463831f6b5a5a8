"""Test helpers for the mosquitto tests: a fleet in a background thread, an operator client."""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from wio_simulator.engine import FleetConfig, FleetResult, run_fleet
from wio_tools.simbench.broker import HOST, OPERATOR_USER, Mosquitto

#: Small, fast fleets: a reading every 0.2 s, short timeouts, a quick backoff.
FAST: dict[str, Any] = dict(
    interval=0.2,
    count=30,
    stagger=0.5,
    keepalive=5,
    connect_timeout=3.0,
    backoff_base=0.4,
    backoff_min=0.2,
    backoff_cap=1.0,
    drain_timeout=20.0,
    max_connect_rate=0,
)


class Background:
    """run_fleet in a thread, so the test can inject faults while it runs."""

    def __init__(self, cfg: FleetConfig) -> None:
        self.result: FleetResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(cfg,), daemon=True)
        self._thread.start()

    def _run(self, cfg: FleetConfig) -> None:
        try:
            self.result = run_fleet(cfg)
        except BaseException as exc:  # noqa: BLE001 - re-raised in join()
            self.error = exc

    def join(self, timeout: float = 60.0) -> FleetResult:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the fleet did not finish"
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def operator(broker: Mosquitto, certs: Any) -> mqtt.Client:
    """A connected client with the operator certificate (may publish device/+/alerts)."""
    issued = broker.issue(OPERATOR_USER, certs)
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="simbench-operator")
    ctx = ssl.create_default_context(cafile=str(broker.ca.ca_path))
    ctx.load_cert_chain(issued.cert_path, issued.key_path)
    c.tls_set_context(ctx)
    c.connect(HOST, broker.port)
    c.loop_start()
    return c
