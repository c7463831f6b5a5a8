"""bench-sim's own code path, small (200 devices × 10 s), and alerts on the device's topic."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from sim_support import operator

from wio_simulator import cli
from wio_tools.simbench import cli as simbench_cli
from wio_tools.simbench.report import SIM_LAST_LINE_FIELDS, parse_sim_last_line
from wio_tools.simbench.run import sim_env

pytestmark = pytest.mark.mosquitto


@pytest.mark.slow
def test_bench_sim_200_devices_10_seconds_holds(capsys: pytest.CaptureFixture[str]) -> None:
    code = simbench_cli.main(["--devices", "200", "--duration", "10", "--quiet"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0, out
    last = out[-1]
    assert re.fullmatch(
        r"devices=200 target_rate=200\.0 achieved_rate=\d+\.\d sent=2000 stored=2000 lost=0 "
        r"duplicates=0 ack_p95_ms=\d+\.\d store_p95_ms=\d+\.\d sim_cpu_ms_per_msg=\d+\.\d{3}",
        last,
    ), last
    values = parse_sim_last_line(last)
    assert tuple(values) == SIM_LAST_LINE_FIELDS
    assert values["achieved_rate"] >= 0.99 * 200 and values["ack_p95_ms"] < 500
    assert 0 < values["sim_cpu_ms_per_msg"] < 5
    assert any(line.startswith("held: yes") for line in out)


def test_retained_alert_is_delivered_on_subscribe_and_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = {"id": "a1b2c3d4", "ts": 1764640000, "kind": "jump", "field": "temperature",
             "value": 35.2, "expected": 24.1}  # fmt: skip
    payload = json.dumps(alert, separators=(",", ":"))
    with sim_env(1, prefix="alrt") as env:
        ops = operator(env.broker, tmp_path)
        try:
            ops.publish("device/alrt-0001/alerts", payload, qos=1, retain=True).wait_for_publish(5)
            spec = env.specs[0]
            argv = [
                "--endpoint", "127.0.0.1", "--port", str(env.broker.port),
                "--ca", str(env.broker.ca.ca_path), "--cert", spec.cert_file,
                "--key", spec.key_file, "--device-id", spec.device_id,
                "--interval", "0.5", "--count", "6", "--quiet",
            ]  # fmt: skip
            import threading

            def clear_later() -> None:
                time.sleep(1.5)
                ops.publish("device/alrt-0001/alerts", b"", qos=1, retain=True)

            threading.Thread(target=clear_later, daemon=True).start()
            assert cli.main(argv) == 0
        finally:
            ops.loop_stop()
            ops.disconnect()
    lines = capsys.readouterr().out.splitlines()
    alerts = [line for line in lines if line.startswith("[alert] ")]
    assert alerts[0] == f"[alert] alrt-0001 {payload}"
    assert "[alert] alrt-0001 (cleared)" in alerts
    assert any("alerts=2" in line for line in lines)


def test_alerts_flag_is_on_for_one_device_and_off_for_fleets() -> None:
    parser = cli.build_parser()
    one = ["--endpoint", "127.0.0.1", "--cert", "c", "--key", "k"]
    assert cli.config_from_args(parser.parse_args(one)).subscribe_alerts is True
    fleet = cli.config_from_args(parser.parse_args(one + ["--devices", "5"]))
    assert fleet.subscribe_alerts is False
    off = cli.config_from_args(parser.parse_args(one + ["--no-alerts"]))
    assert off.subscribe_alerts is False
    on = cli.config_from_args(parser.parse_args(one + ["--devices", "5", "--alerts"]))
    assert on.subscribe_alerts is True
