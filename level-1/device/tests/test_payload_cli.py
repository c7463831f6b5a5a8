"""payload_cli prints the bytes the sketch publishes; check them against the contract.

payload_cli (level-1/device/tools/payload_cli.cpp) calls the sketch's own make_measurement()
and format_payload() from wioterminal/src/wio/payload.h. These tests validate its output
against level-1/schema/sensor-payload.schema.json and compare it, byte for byte, with what
the simulator publishes for the same readings, so the board, the simulator and the cloud
rule all agree on one format.

Run by `make -C level-1/device pytest` (part of `make -C level-1 test`) with the infra venv;
the last test also checks what the real sketch published in `make -C level-1/device sketch-sim`.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

DEVICE = Path(__file__).resolve().parents[1]
LEVEL1 = DEVICE.parent
CLI = DEVICE / "build" / "payload_cli"
SCHEMA = json.loads((LEVEL1 / "schema" / "sensor-payload.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: run `make -C level-1/device payload_cli` first")
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=10)


def payload(*args: str) -> tuple[str, dict]:
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    doc = json.loads(lines[0])
    errors = sorted(VALIDATOR.iter_errors(doc), key=str)
    assert not errors, f"{lines[0]} violates the schema: {errors}"
    return lines[0], doc


def test_readme_example_is_one_valid_json_line() -> None:
    line, doc = payload(
        "--device-id",
        "wio-001",
        "--timestamp",
        "1640995200",
        "--temperature",
        "25.5",
        "--humidity",
        "60.2",
        "--light",
        "312",
    )
    assert line == (
        '{"device_id":"wio-001","timestamp":1640995200,"temperature":25.5,'
        '"humidity":60.2,"light":312}'
    )
    assert doc["device_id"] == "wio-001"


def test_every_field_the_sketch_sends() -> None:
    _, doc = payload(
        "--device-id",
        "wio-terminal-01",
        "--timestamp",
        "1700000000",
        "--temperature",
        "-12.34",
        "--humidity",
        "100",
        "--light",
        "0",
        "--rssi",
        "-127",
        "--seq",
        "4294967295",
    )
    assert doc == {
        "device_id": "wio-terminal-01",
        "timestamp": 1700000000,
        "temperature": -12.3,
        "humidity": 100.0,
        "light": 0,
        "rssi": -127,
        "seq": 4294967295,
    }


@pytest.mark.parametrize(
    "value, expected",
    [("-40", -40.0), ("-0.04", 0.0), ("-0.06", -0.1), ("-9.96", -10.0), ("125.04", 125.0)],
)
def test_negative_and_edge_temperatures(value: str, expected: float) -> None:
    line, doc = payload("--device-id", "d", "--timestamp", "1640995200", "--temperature", value)
    assert doc["temperature"] == expected
    assert "-0.0" not in line


@pytest.mark.parametrize("sensor", ["temperature", "humidity", "light"])
def test_absent_sensor_is_omitted_not_null(sensor: str) -> None:
    args = {"temperature": "21.5", "humidity": "40", "light": "100"}
    args[sensor] = "nan"
    flat = [item for k, v in args.items() for item in (f"--{k}", v)]
    line, doc = payload("--device-id", "d", "--timestamp", "1640995200", *flat)
    assert sensor not in doc
    assert "null" not in line and "NaN" not in line and "nan" not in line


def test_out_of_range_values_are_omitted_like_on_the_board() -> None:
    proc = run_cli(
        "--device-id",
        "d",
        "--timestamp",
        "1640995200",
        "--temperature",
        "125.06",
        "--humidity",
        "-1",
        "--light",
        "1024",
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"device_id": "d", "timestamp": 1640995200}
    assert "omitted, as on the board" in proc.stderr


def test_longest_thing_name_and_payload_fit() -> None:
    thing = "a" * 128
    line, _ = payload(
        "--device-id",
        thing,
        "--timestamp",
        "4102444800",
        "--temperature",
        "-40",
        "--humidity",
        "100",
        "--light",
        "1023",
        "--rssi",
        "-127",
        "--seq",
        "4294967295",
    )
    assert len(line.encode()) == 246  # what the sketch's 256-byte payload buffer assumes


@pytest.mark.parametrize("bad_id", ["a" * 129, "wio/001", "wio+", "wio#", "with space", "é"])
def test_invalid_device_id_is_refused(bad_id: str) -> None:
    proc = run_cli("--device-id", bad_id, "--timestamp", "1640995200")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "device_id" in proc.stderr


@pytest.mark.parametrize("ts", ["1577836799", "4102444801", "0"])
def test_timestamp_outside_schema_window_is_refused(ts: str) -> None:
    proc = run_cli("--device-id", "d", "--timestamp", ts)
    assert proc.returncode == 1
    assert proc.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--device-id", "d"],
        ["--device-id", "d", "--timestamp", "-5"],
        ["--device-id", "d", "--timestamp", "1640995200", "--temperature", "warm"],
        ["--device-id", "d", "--timestamp", "1640995200", "--light", "1.5"],
        ["--device-id", "d", "--timestamp", "1640995200", "--bogus", "1"],
    ],
)
def test_usage_errors(args: list[str]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "usage:" in proc.stderr


def test_topic() -> None:
    proc = run_cli("--device-id", "wio-001", "--topic")
    assert proc.returncode == 0
    assert proc.stdout == "device/wio-001/data\n"


def test_firmware_field_names_are_the_schema_properties() -> None:
    """Alerts name a payload field; the firmware's list must be the schema's, in order."""
    proc = run_cli("--fields")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == list(SCHEMA["properties"])


def test_same_bytes_as_the_simulator() -> None:
    """For the simulator's own readings, payload_cli prints exactly the simulator's JSON."""
    readings = pytest.importorskip("wio_simulator.readings", reason="wio_simulator not installed")
    compared = 0
    for device, missing in (("sim-0001", 0.0), ("sim-0002", 0.3)):
        gen = readings.ReadingGenerator(device_id=device, seed=7, missing_rate=missing)
        for i in range(300):
            sim = gen.reading(1700000000 + i * 300, i)
            sim_bytes = json.dumps(sim, separators=(",", ":"))
            args = ["--device-id", sim["device_id"], "--timestamp", str(sim["timestamp"])]
            for key in ("temperature", "humidity", "light", "rssi", "seq"):
                if key in sim:
                    args += [f"--{key}", str(sim[key])]
                elif key in ("temperature", "humidity", "light"):
                    args += [f"--{key}", "nan"]
            line, doc = payload(*args)
            assert line == sim_bytes
            assert list(doc) == list(sim)  # same key order
            compared += 1
    assert compared == 600


def test_rounding_matches_tenths_for_every_representable_tenth() -> None:
    """A value that is exactly a tenth (as the sensors report) prints as itself."""
    for tenths in range(-400, 1251, 7):
        value = tenths / 10
        _, doc = payload(
            "--device-id", "d", "--timestamp", "1640995200", "--temperature", str(value)
        )
        assert math.isclose(doc["temperature"], value), (value, doc)


def test_secrets_example_defines_what_the_sketch_uses() -> None:
    """arduino_secrets.h.example has every macro wioterminal.ino reads, and wio-provision writes."""
    sketch_dir = DEVICE / "wioterminal"
    example = (sketch_dir / "arduino_secrets.h.example").read_text()
    defined = set(re.findall(r"^#define (SECRET_[A-Z_]+)", example, re.M))
    used = set()
    for source in [sketch_dir / "wioterminal.ino", *sketch_dir.glob("*.h")]:
        used |= set(re.findall(r"\b(SECRET_[A-Z_]+)\b", source.read_text()))
    assert used <= defined, f"used but not in the example: {sorted(used - defined)}"
    try:
        from wio_tools import provision
    except ImportError:
        pytest.skip("wio_tools.provision not importable here")
    written = {v for k, v in vars(provision).items() if k.startswith("MACRO_")}
    assert (
        used <= written
    ), f"the sketch needs macros wio-provision does not write: {used - written}"


def test_payloads_of_the_simulated_sketch_match_the_schema() -> None:
    """Every payload the real sketch published in `make sketch-sim` validates."""
    path = DEVICE / "build" / "sketch_payloads.jsonl"
    if not path.exists():
        pytest.skip(
            "build/sketch_payloads.jsonl missing: run `make -C level-1/device sketch-sim` first"
        )
    lines = path.read_text().splitlines()
    assert len(lines) > 100
    for line in lines:
        doc = json.loads(line)
        errors = sorted(VALIDATOR.iter_errors(doc), key=str)
        assert not errors, f"{line}: {errors}"
        assert doc["device_id"] == "wio-terminal-01"
        # The sketch's bytes are payload_cli's bytes for the same values.
        args = ["--device-id", doc["device_id"], "--timestamp", str(doc["timestamp"])]
        for key in ("temperature", "humidity", "light"):
            args += [f"--{key}", str(doc[key]) if key in doc else "nan"]
        for key in ("rssi", "seq"):
            if key in doc:
                args += [f"--{key}", str(doc[key])]
        assert payload(*args)[0] == line
