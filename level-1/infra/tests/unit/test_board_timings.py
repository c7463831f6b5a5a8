"""The simulator's reconnect timings are the firmware's: read from the C++ headers' text."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from wio_simulator import board
from wio_simulator.config import DeviceSpec, FleetConfig
from wio_simulator.flow import Backoff

pytestmark = pytest.mark.unit

FIRMWARE = Path(__file__).resolve().parents[3] / "device" / "wioterminal"


def _number(path: Path, pattern: str) -> int:
    match = re.search(pattern, path.read_text(encoding="utf-8"))
    assert match, f"{pattern!r} not found in {path}"
    return int(match.group(1))


def test_mqtt_backoff_base_and_cap_match_link_h() -> None:
    link_h = FIRMWARE / "src" / "wio" / "link.h"
    assert (
        _number(link_h, r"t\.mqtt_base_ms\s*=\s*(\d+)\s*;")
        == board.BOARD_MQTT_BACKOFF_BASE_S * 1000
    )
    assert (
        _number(link_h, r"t\.mqtt_cap_ms\s*=\s*(\d+)\s*;") == board.BOARD_MQTT_BACKOFF_CAP_S * 1000
    )


def test_equal_jitter_rule_matches_backoff_h() -> None:
    text = (FIRMWARE / "src" / "wio" / "backoff.h").read_text(encoding="utf-8")
    assert '"equal jitter"' in text and "[ceiling/2, ceiling]" in text
    assert "uint32_t half = ceiling / 2u;" in text
    assert board.BOARD_BACKOFF_JITTER == "equal"


def test_mqtt_timeouts_and_keepalive_match_config_h() -> None:
    config_h = FIRMWARE / "config.h"
    assert _number(config_h, r"#define WIO_MQTT_KEEPALIVE_S (\d+)") == board.BOARD_MQTT_KEEPALIVE_S
    ms = _number(config_h, r"#define WIO_MQTT_COMMAND_TIMEOUT_MS (\d+)")
    assert ms == board.BOARD_MQTT_COMMAND_TIMEOUT_S * 1000
    ms = _number(config_h, r"#define WIO_TLS_CONNECT_TIMEOUT_MS (\d+)")
    assert ms == board.BOARD_TLS_CONNECT_TIMEOUT_S * 1000


def test_fleet_defaults_use_the_board_backoff() -> None:
    cfg = FleetConfig(host="h", port=1, devices=[DeviceSpec("d", "c", "k")])
    assert (cfg.backoff_base, cfg.backoff_cap, cfg.backoff_jitter) == (2.0, 120.0, "equal")


def test_equal_jitter_delays_stay_in_the_boards_window() -> None:
    b = Backoff(base=2.0, cap=120.0, minimum=1.0, rng=random.Random(3), jitter="equal")
    ceilings = [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 120.0, 120.0]
    for ceiling in ceilings:
        delay = b.next_delay()
        assert ceiling / 2 <= delay <= ceiling
    b.reset()
    assert 1.0 <= b.next_delay() <= 2.0
