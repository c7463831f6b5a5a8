"""The Wio Terminal firmware's own connection timings, so simulated devices behave like boards.

Copied from the firmware (a unit test compares these numbers with the C++ source text, so
they cannot drift apart):

- ``device/wioterminal/src/wio/link.h``, ``default_link_timings()``: the MQTT reconnect
  backoff starts at ``mqtt_base_ms = 2000`` and is capped at ``mqtt_cap_ms = 120000``;
- ``device/wioterminal/src/wio/backoff.h``: "equal jitter": after the k-th consecutive
  failure the ceiling is ``min(cap, base * 2^(k-1))`` and the delay is uniform in
  ``[ceiling/2, ceiling]``; a success resets it;
- ``device/wioterminal/config.h``: ``WIO_MQTT_KEEPALIVE_S 60``,
  ``WIO_MQTT_COMMAND_TIMEOUT_MS 5000``, ``WIO_TLS_CONNECT_TIMEOUT_MS 15000``.
"""

from __future__ import annotations

BOARD_MQTT_BACKOFF_BASE_S = 2.0
BOARD_MQTT_BACKOFF_CAP_S = 120.0
BOARD_BACKOFF_JITTER = "equal"
BOARD_MQTT_KEEPALIVE_S = 60
BOARD_MQTT_COMMAND_TIMEOUT_S = 5.0
BOARD_TLS_CONNECT_TIMEOUT_S = 15.0
