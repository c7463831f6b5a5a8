"""Simulator building blocks without any service: readings, flow control, CLI, estimate."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import jsonschema
import pytest

from wio_simulator import cli
from wio_simulator.engine import FleetConfig, DeviceSpec, fleet_from_certs
from wio_simulator.estimate import estimate_cost, monthly_cost_per_device
from wio_simulator.flow import Backoff, Message, OfflineQueue, TokenBucket, percentile
from wio_simulator.readings import ReadingGenerator, jst_hour, payload_size

pytestmark = pytest.mark.unit

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schema" / "sensor-payload.schema.json"
T0 = 1_767_193_200  # 2026-01-01 00:00 JST


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema)


def _series(device: str, seed: int, n: int = 200, step: int = 60) -> list[dict[str, object]]:
    gen = ReadingGenerator(device, seed=seed)
    return [gen.reading(T0 + i * step, i) for i in range(n)]


# ----------------------------------------------------------------------------- readings
def test_readings_are_deterministic_per_seed_and_device() -> None:
    assert _series("wio-1", 7) == _series("wio-1", 7)
    assert _series("wio-1", 7) != _series("wio-1", 8)
    assert _series("wio-1", 7) != _series("wio-2", 7)


def test_readings_match_the_schema_over_days(
    validator: jsonschema.Draft202012Validator,
) -> None:
    for seed in range(5):
        gen = ReadingGenerator(f"sim-{seed:04d}", seed=seed, spike_rate=0.05)
        for i in range(3 * 24 * 6):  # three days, every 10 minutes
            payload = gen.reading(T0 + i * 600, i)
            validator.validate(payload)
            for key in ("temperature", "humidity"):
                assert round(payload[key], 1) == payload[key]  # 0.1 resolution
            assert isinstance(payload["light"], int) and isinstance(payload["rssi"], int)


def test_daily_cycle_warm_afternoon_dark_night() -> None:
    gen = ReadingGenerator("wio-1", seed=1, spike_rate=0.0)
    afternoon, night, light_day, light_night = [], [], [], []
    for day in range(7):
        for minute in range(0, 24 * 60, 10):
            ts = T0 + day * 86400 + minute * 60
            p = gen.reading(ts, 0)
            hour = jst_hour(ts)
            if 13 <= hour < 15:
                afternoon.append(p["temperature"])
                light_day.append(p["light"])
            if 2 <= hour < 4:
                night.append(p["temperature"])
                light_night.append(p["light"])
    assert sum(afternoon) / len(afternoon) > sum(night) / len(night) + 2.0
    assert min(light_day) > 200 and max(light_night) < 20


def test_absent_sensors_are_omitted_not_null(
    validator: jsonschema.Draft202012Validator,
) -> None:
    gen = ReadingGenerator("wio-1", seed=3, sensors=("temperature",))
    p = gen.reading(T0, 5)
    assert set(p) == {"device_id", "timestamp", "temperature", "seq"}
    flaky = ReadingGenerator("wio-1", seed=3, missing_rate=0.5)
    seen = [flaky.reading(T0 + i, i) for i in range(100)]
    assert any("humidity" not in p for p in seen)
    for p in seen:
        validator.validate(p)
        assert None not in p.values()


def test_unknown_sensor_rejected() -> None:
    with pytest.raises(ValueError):
        ReadingGenerator("x", sensors=("co2",))


def test_seq_wraps_as_uint32() -> None:
    assert ReadingGenerator("x").reading(T0, 2**32 + 5)["seq"] == 5


def test_payload_is_small() -> None:
    assert payload_size(ReadingGenerator("wio-terminal-01").reading(T0, 123456)) < 200


# ----------------------------------------------------------------------------- flow control
def test_backoff_grows_to_cap_with_jitter_and_resets() -> None:
    b = Backoff(base=1.0, cap=8.0, minimum=0.0, rng=random.Random(1))
    ceilings = [1, 2, 4, 8, 8, 8]
    delays = [b.next_delay() for _ in ceilings]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings))
    assert len(set(delays)) == len(delays)  # jittered
    b.reset()
    assert b.next_delay() <= 1.0


def test_backoff_minimum_respects_one_connect_per_second_per_client() -> None:
    b = Backoff(base=0.01, cap=0.01, minimum=1.0, rng=random.Random(2))
    assert all(b.next_delay() >= 1.0 for _ in range(20))


def _msg(seq: int) -> Message:
    return Message("d", seq, T0 + seq, b"{}", 0.0)


def test_offline_queue_requeues_unacked_in_order_before_new() -> None:
    q = OfflineQueue()
    for i in range(5):
        q.put(_msg(i))
    for mid in (1, 2, 3):
        m = q.next()
        assert m is not None
        q.sent(mid, m)
    assert q.acked(2) is not None and q.acked(2) is None  # ack once
    assert q.requeue_inflight() == 2
    assert [m.seq for m in q.pending] == [0, 2, 3, 4]  # unacked first, oldest first
    assert not q.inflight and len(q) == 4 and q.requeued == 2


def test_offline_queue_resend_keeps_payload_and_timestamp() -> None:
    q = OfflineQueue()
    m = _msg(1)
    q.put(m)
    first = q.next()
    assert first is not None
    q.sent(10, first)
    q.requeue_inflight()
    again = q.next()
    assert again is m and again.timestamp == T0 + 1 and again.payload == b"{}"


def test_offline_queue_drops_oldest_when_full() -> None:
    q = OfflineQueue(max_pending=3)
    for i in range(5):
        q.put(_msg(i))
    assert [m.seq for m in q.pending] == [2, 3, 4] and q.dropped == 2


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_caps_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100.0, burst=1.0, clock=clock)
    assert bucket.try_take() == 0.0
    wait = bucket.try_take()
    assert wait == pytest.approx(0.01)
    clock.t += 0.01
    assert bucket.try_take() == 0.0
    taken = 0
    for _ in range(1000):  # one simulated second in 1 ms steps
        clock.t += 0.001
        if bucket.try_take() == 0.0:
            taken += 1
    assert 99 <= taken <= 101


def test_token_bucket_unlimited_and_async_acquire() -> None:
    assert TokenBucket(0).try_take() == 0.0

    async def go() -> float:
        bucket = TokenBucket(50.0, burst=1.0)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(11):
            await bucket.acquire()
        return loop.time() - start

    assert asyncio.run(go()) >= 0.18  # 10 waits of 20 ms


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 95) == 0.0
    assert percentile([3.0], 99) == 3.0


# ----------------------------------------------------------------------------- config and CLI
def _thing_dir(root: Path, name: str, port: int = 1883) -> None:
    d = root / name
    d.mkdir(parents=True)
    for f in ("certificate.pem.crt", "private.pem.key", "LocalBrokerCA.pem"):
        (d / f).write_text("x")
    (d / "thing.json").write_text(
        json.dumps(
            {
                "thing_name": name,
                "certificate_id": "c",
                "certificate_arn": "arn",
                "endpoint": "abc-ats.iot.ap-northeast-1.amazonaws.com",
                "port": 8883,
                "topic": f"device/{name}/data",
                "mqtt_host": "127.0.0.1",
                "mqtt_port": port,
                "ca_file": "LocalBrokerCA.pem",
                "local": True,
            }
        )
    )


def _cfg(argv: list[str]) -> FleetConfig:
    return cli.config_from_args(cli.build_parser().parse_args(argv))


def test_cli_thing_reads_thing_json(tmp_path: Path) -> None:
    _thing_dir(tmp_path, "wio-1", port=4242)
    cfg = _cfg(["--thing", "wio-1", "--certs-dir", str(tmp_path), "--count", "3"])
    assert (cfg.host, cfg.port) == ("127.0.0.1", 4242)
    assert cfg.ca_file == str(tmp_path / "wio-1" / "LocalBrokerCA.pem")
    assert cfg.devices[0].device_id == "wio-1" and cfg.devices[0].publish_topic.endswith("/data")
    assert cfg.expected_messages == 3 and cfg.qos == 1


def test_cli_fleet_prefix(tmp_path: Path) -> None:
    for i in range(1, 4):
        _thing_dir(tmp_path, f"sim-{i:04d}")
    cfg = _cfg(["--fleet-prefix", "sim", "--devices", "3", "--certs-dir", str(tmp_path)])
    assert [d.device_id for d in cfg.devices] == ["sim-0001", "sim-0002", "sim-0003"]
    assert cfg.duration == 30.0 and cfg.expected_messages == 3 * 6  # 30 s / 5 s
    with pytest.raises(cli.CliError, match="wio-provision --fleet 5"):
        _cfg(["--fleet-prefix", "sim", "--devices", "5", "--certs-dir", str(tmp_path)])


def test_cli_shared_cert_fleet_and_limits() -> None:
    cfg = _cfg(
        [
            "--endpoint", "abc-ats.iot.ap-northeast-1.amazonaws.com", "--ca", "ca.pem",
            "--cert", "c.pem", "--key", "k.pem", "--devices", "3", "--device-id", "bench",
            "--interval", "1", "--duration", "10", "--seed", "4",
            "--max-publish-rate", "10", "--max-connect-rate", "5",
        ]
    )  # fmt: skip
    assert [d.device_id for d in cfg.devices] == [
        "bench-0001",
        "bench-0002",
        "bench-0003",
    ]
    assert cfg.port == 8883 and cfg.expected_messages == 30 and cfg.target_rate == 3.0
    assert (cfg.max_publish_rate, cfg.max_connect_rate, cfg.seed) == (10, 5, 4)


def test_cli_errors() -> None:
    with pytest.raises(cli.CliError, match="credentials"):
        _cfg(["--endpoint", "x"])
    with pytest.raises(cli.CliError, match="not both"):
        _cfg(
            [
                "--cert",
                "c",
                "--key",
                "k",
                "--endpoint",
                "x",
                "--count",
                "1",
                "--duration",
                "1",
            ]
        )
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["--qos", "2"])


def test_cli_local_uses_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"mqtt_port": 5555, "ca_path": "/x/ca.pem"}))
    monkeypatch.setenv("WIO_LOCAL_STATE", str(state))
    cfg = _cfg(["--local", "--cert", "c", "--key", "k", "--count", "1"])
    assert (cfg.host, cfg.port, cfg.ca_file) == ("127.0.0.1", 5555, "/x/ca.pem")


def test_estimate_flag_prints_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main(
        [
            "--endpoint", "abc-ats.iot.ap-northeast-1.amazonaws.com", "--cert", "c",
            "--key", "k", "--devices", "1000", "--interval", "1", "--duration", "60",
            "--estimate",
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 0 and "expected messages: 60,000" in err and "$" in err


def test_real_aws_run_above_max_cost_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc = cli.main(
        [
            "--endpoint", "abc-ats.iot.ap-northeast-1.amazonaws.com", "--cert", "c",
            "--key", "k", "--devices", "1000", "--interval", "1", "--duration", "3600",
        ]
    )  # fmt: skip
    assert rc == 3 and "refusing" in capsys.readouterr().err


def test_cost_estimate_arithmetic() -> None:
    est = estimate_cost(1000, 60, 60, payload_bytes=110)
    assert est.messages == 60_000
    assert est.iot_messages_usd == pytest.approx(0.072)
    assert est.dynamodb_usd == pytest.approx(60_000 / 1e6 * 0.715)
    month = monthly_cost_per_device(60)
    assert month.messages == 43_200 and 0.05 < month.total_usd < 0.2


def test_fleet_from_certs_missing_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="wio-provision nope"):
        fleet_from_certs(tmp_path, ["nope"])


def test_fleet_config_validation() -> None:
    from wio_simulator.engine import FleetRunner

    spec = DeviceSpec("d", "c", "k")
    with pytest.raises(ValueError):
        FleetRunner(FleetConfig(host="h", port=1, devices=[spec], qos=2))
    with pytest.raises(ValueError):
        FleetRunner(FleetConfig(host="h", port=1, devices=[]))
    assert FleetConfig(host="h", port=1, devices=[spec], count=7).messages_per_device() == 7


def test_simulator_generates_every_optional_contract_field() -> None:
    """A field added to the schema needs a generator here (or a reason it has none)."""
    from wio_contract.fields import CONTRACT
    from wio_simulator.readings import ALL_SENSORS

    counters = {"seq"}  # not a sensor: the per-boot message counter the simulator keeps
    assert set(ALL_SENSORS) == {f.name for f in CONTRACT.optional_numeric} - counters
