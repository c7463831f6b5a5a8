"""The MiniStack bench's command line: default size, the ceiling search, the AWS quota guard."""

from __future__ import annotations

from typing import Any

import pytest

from wio_simulator.flow import QUOTAS_URL, aws_quota_problem
from wio_tools.bench import DEFAULT_DEVICES, build_parser, cost_guard, diagnose_limit
from wio_tools.bench.cli import ceiling_line, steps

pytestmark = pytest.mark.unit


class _R:
    def __init__(self, devices: int, achieved: float, held: bool, limit: str = "") -> None:
        self.devices, self.achieved_rate, self.held, self.limit = devices, achieved, held, limit
        self.target_rate = float(devices)


def test_default_fleet_leaves_a_margin_below_the_measured_ceiling() -> None:
    assert DEFAULT_DEVICES == 50
    assert build_parser().parse_args([]).devices == 50


def test_steps_and_the_ceiling_line() -> None:
    assert steps(100, 0, 1000) == [100]
    assert steps(100, 100, 400) == [100, 200, 300, 400]
    reports: list[Any] = [_R(100, 100.0, True), _R(200, 199.5, True), _R(300, 240.2, False, "x")]
    line = ceiling_line(reports)
    assert line.startswith("ceiling: highest rate held: 199.5 msg/s (200 devices)")
    assert "stopped at 300 devices (240.2/300 msg/s): x" in line
    assert "every step held" in ceiling_line(reports[:2])


def test_aws_runs_keep_the_documented_quotas(capsys: pytest.CaptureFixture[str]) -> None:
    assert aws_quota_problem(100, 100, 20) is None
    assert "per connection" in str(aws_quota_problem(100, 101, 20))
    assert QUOTAS_URL in str(aws_quota_problem(501, 100, 20))
    assert aws_quota_problem(0, 100, 20) is not None  # 0 would mean "unlimited"
    args = build_parser().parse_args(["--aws", "--yes", "--connect-rate", "1000"])
    lines: list[str] = []
    assert cost_guard(args, lines.append) == 3
    assert any(line.startswith("refusing: --connect-rate") for line in lines)


def test_a_run_that_did_not_hold_names_its_limit() -> None:
    common: dict[str, Any] = dict(
        held=False, target_rate=300, achieved_rate=245, sim_cores=0.1, emulator_cores=0.95,
        machine_busy=0.7, cpu_count=2, interval=1.0, max_publish_rate=100, is_local=True,
    )  # fmt: skip
    text = diagnose_limit(store_p95_ms=4000, ack_p95_ms=4100, lost=3, **common)
    assert "emulator CPU" in text and "latency" in text and "lost=3" in text
    assert "\n" not in text
