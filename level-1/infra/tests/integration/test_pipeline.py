"""Device → MQTT/mTLS → topic rule → DynamoDB: what users rely on end to end."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from it_support import plain, Target, device_items, wait_for

from wio_simulator.engine import DeviceSpec, FleetConfig, run_fleet

pytestmark = pytest.mark.integration


def test_every_simulated_reading_is_stored_once_with_equal_values(
    target: Target, make_device: Any
) -> None:
    creds = make_device("sim")
    count = 25
    config = FleetConfig(
        host=target.mqtt_host,
        port=target.mqtt_port,
        devices=[DeviceSpec(creds.thing_name, str(creds.cert_path), str(creds.key_path))],
        ca_file=str(target.ca_path),
        insecure_hostname=target.is_local,
        interval=0.05,
        count=count,
        seed=7,
        # Distinct, deterministic timestamps one second apart, ending about now.
        start_time=int(time.time()) - count - 5,
    )
    result = run_fleet(config)
    assert result.acknowledged == count and result.failed == 0

    items = wait_for(
        lambda: (lambda xs: xs if len(xs) >= count else None)(
            device_items(target, creds.thing_name)
        ),
        timeout=30,
    )
    assert items, "nothing stored"
    stored = {int(it["timestamp"]): it for it in items}
    assert len(items) == count == len(stored)
    for record in result.messages:
        item = stored[record.timestamp]
        sent = record.values()
        for key, value in sent.items():
            assert plain(item[key]) == value, (key, item, sent)
        assert item["device_id"] == creds.thing_name
        # received_at: server time in epoch milliseconds, close to the send time.
        assert abs(int(item["received_at"]) / 1000 - time.time()) < 600


def test_device_id_is_the_topics_even_when_the_payload_claims_another(
    target: Target, make_device: Any, connect: Any
) -> None:
    creds = make_device("spoof")
    ts = int(time.time()) - 100
    payload = {"device_id": "someone-else", "timestamp": ts, "temperature": 21.5}
    with connect(creds) as client:
        client.publish(creds.topic, json.dumps(payload))
    items = wait_for(lambda: device_items(target, creds.thing_name), timeout=20)
    assert [(plain(i["timestamp"]), i["device_id"]) for i in items] == [(ts, creds.thing_name)]
    assert device_items(target, "someone-else") == []


def test_a_resent_reading_does_not_make_a_second_row(
    target: Target, make_device: Any, connect: Any
) -> None:
    creds = make_device("resend")
    payload = json.dumps(
        {"device_id": creds.thing_name, "timestamp": int(time.time()) - 50, "temperature": 20.0}
    )
    with connect(creds) as client:
        client.publish(creds.topic, payload)
        client.publish(creds.topic, payload)  # a QoS 1 re-send after a lost PUBACK
    time.sleep(1.0)
    items = wait_for(lambda: device_items(target, creds.thing_name), timeout=20)
    assert len(items) == 1
