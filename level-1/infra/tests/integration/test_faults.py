"""Faults between the fleet and the broker: nothing sent may be lost or stored twice.

Each test provisions its own small fleet on the session's local stack, runs the simulator in a
background thread and injects one fault while it runs:

* the emulator itself goes down and comes back (``target.local.restart``);
* a loopback TCP proxy (``fault_proxy.FaultProxy`` (tests/fault_proxy.py)) between the devices and
  MiniStack's MQTT/mTLS listener drops every connection, stalls the link, adds latency, or
  refuses new connections for a while.

Then it reads the fleet's items back (key Query per device) and compares them with what the
simulator sent, with the benchmark's own analysis: stored == sent, lost == 0, duplicates == 0.

The wrong-topic tests are at the end: the deployed device policy is checked statically
(also on real AWS), and, because the session emulator runs without ``AUTH=true`` and so does
not enforce IoT policies, a second MiniStack with ``AUTH=true`` is given the *deployed*
policy document to show that it refuses a device publishing to another device's topic.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pytest
from it_support import Target

from wio_simulator.engine import DeviceSpec, FleetConfig, FleetResult, run_fleet
from wio_tools.bench import BenchTarget, analyse_store, wait_until_stored
from fault_proxy import FaultProxy
from wio_tools.environment import AwsEnvironment
from wio_tools.provision import (
    DeviceCredentials,
    delete_things,
    fleet_thing_names,
    provision_things,
)

THING_VARIABLE = "${iot:Connection.Thing.ThingName}"


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def fleets(provision_target: AwsEnvironment, target: Target) -> Iterator[Any]:
    """Factory: a fresh fleet of ``n`` things per test; all deleted at the end of the module."""
    made: list[tuple[list[str], Path]] = []
    tmp = tempfile.TemporaryDirectory(prefix="wio-faults-")

    def make(n: int) -> tuple[str, list[DeviceCredentials]]:
        prefix = f"flt-{uuid.uuid4().hex[:6]}"
        names = fleet_thing_names(prefix, n)
        certs = Path(tmp.name) / prefix
        made.append((names, certs))
        creds = provision_things(
            names, target=provision_target, prefix=target.names.prefix, certs_dir=certs
        )
        return prefix, creds

    yield make
    for names, certs in made:
        delete_things(names, target=provision_target, certs_dir=certs)
    tmp.cleanup()


def _config(creds: Sequence[DeviceCredentials], port: int, ca: Path, **kw: Any) -> FleetConfig:
    opts: dict[str, Any] = dict(
        interval=0.2,
        count=40,  # 8 s of readings per device
        stagger=0.5,
        keepalive=5,
        connect_timeout=3.0,
        backoff_base=0.3,
        backoff_min=0.3,
        backoff_cap=2.0,
        drain_timeout=40.0,
    )
    opts.update(kw)
    return FleetConfig(
        host="127.0.0.1",
        port=port,
        ca_file=str(ca),
        insecure_hostname=True,
        devices=[DeviceSpec(c.thing_name, str(c.cert_path), str(c.key_path)) for c in creds],
        **opts,
    )


class _Background:
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

    def join(self, timeout: float = 90.0) -> FleetResult:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the fleet did not finish"
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def _wait(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _assert_stored_exactly_once(
    target: Target, prefix: str, creds: Sequence[DeviceCredentials], result: FleetResult
) -> None:
    """Every generated reading was sent and acknowledged, and is stored exactly once."""
    assert result.generated == result.expected, result.summary_lines()
    assert result.failed == 0 and result.sent == result.acknowledged == result.expected, (
        result.summary_lines()
    )  # fmt: skip
    bench_target = BenchTarget.from_local(target.local, target.names.prefix)
    names = [c.thing_name for c in creds]
    sent_keys = {k for k, m in result.by_key().items() if m.attempts > 0}
    items, _ = wait_until_stored(
        bench_target,
        prefix,
        names,
        sent_keys,
        method="query",
        timeout=30.0,
        settle=10.0,
        say=lambda _line: None,
    )
    counts = analyse_store(result, items)
    assert counts.lost == 0, f"{counts.lost} sent readings not stored"
    assert counts.duplicates == 0, f"{counts.duplicates} readings stored twice"
    assert counts.unexpected == 0
    assert counts.stored == result.sent == len(sent_keys)


@pytest.fixture
def healthy_after(target: Target) -> Iterator[None]:
    """Whatever a fault test did, the shared emulator is healthy for the next tests."""
    yield
    local = target.local
    if not local.is_healthy():
        _wait(local.is_healthy, 60.0, "the emulator to become healthy again")


# --------------------------------------------------------------------------- emulator restart
@pytest.mark.local_only
@pytest.mark.slow
def test_emulator_restart_mid_run_resends_and_stores_each_reading_once(
    target: Target, fleets: Any, healthy_after: None
) -> None:
    prefix, creds = fleets(20)
    local = target.local
    # 50 ms each way through the proxy keeps ~20 PUBLISHes unacknowledged at any moment, so
    # the outage surely catches some in flight and the re-send path is exercised.
    with FaultProxy(local.mqtt_port) as proxy:
        proxy.set_delay(0.05)
        run = _Background(_config(creds, proxy.port, local.ca_path, count=50))
        # Every device connected (on a busy machine the handshakes take a while), then 1 s more.
        _wait(lambda: proxy.open_connections == len(creds), 20, "every device to connect")
        time.sleep(1.0)
        local.restart(down_seconds=2.0)  # SIGTERM, 2 s down, same ports, persisted state
        assert local.is_healthy()
        result = run.join()
    # Every device met the outage: connected (a disconnect) or still in its handshake, which
    # on a busy machine can take seconds (a failed connect).
    met = result.disconnects + result.connect_failures
    assert met >= len(creds), result.summary_lines()
    assert result.connects >= len(creds) + result.disconnects, result.summary_lines()
    assert result.retried > 0, result.summary_lines()
    _assert_stored_exactly_once(target, prefix, creds, result)
    # The shared stack still works after the restart: a fresh device's readings get stored.
    after_prefix, after = fleets(1)
    again = run_fleet(_config(after, local.mqtt_port, local.ca_path, count=3, interval=0.1))
    _assert_stored_exactly_once(target, after_prefix, after, again)


# --------------------------------------------------------------------------- network faults
@pytest.mark.local_only
@pytest.mark.slow
def test_all_connections_dropped_twice_mid_run(target: Target, fleets: Any) -> None:
    prefix, creds = fleets(10)
    with FaultProxy(target.mqtt_port) as proxy:
        proxy.set_delay(0.02)
        run = _Background(_config(creds, proxy.port, target.ca_path))
        _wait(lambda: proxy.open_connections == len(creds), 10, "every device to connect")
        time.sleep(1.5)
        assert proxy.drop_connections() == len(creds)
        _wait(lambda: proxy.open_connections == len(creds), 15, "every device to reconnect")
        time.sleep(1.5)
        assert proxy.drop_connections() == len(creds)
        result = run.join()
    assert result.disconnects >= 2 * len(creds), result.summary_lines()
    assert result.connects >= 3 * len(creds), result.summary_lines()
    _assert_stored_exactly_once(target, prefix, creds, result)


@pytest.mark.local_only
@pytest.mark.slow
def test_stalled_link_is_detected_by_keepalive_and_recovered(target: Target, fleets: Any) -> None:
    prefix, creds = fleets(10)
    with FaultProxy(target.mqtt_port) as proxy:
        # keepalive 2 s: paho sends PINGREQ after 2 s without traffic in, and gives the
        # connection up 2 s later when no PINGRESP came; the 6 s stall outlasts both.
        run = _Background(_config(creds, proxy.port, target.ca_path, keepalive=2))
        _wait(lambda: proxy.open_connections == len(creds), 10, "every device to connect")
        time.sleep(1.0)
        proxy.set_stalled(True)
        time.sleep(6.0)
        proxy.set_stalled(False)
        result = run.join()
    # Every device met the outage: connected (a disconnect) or still in its handshake, which
    # on a busy machine can take seconds (a failed connect).
    met = result.disconnects + result.connect_failures
    assert met >= len(creds), result.summary_lines()
    assert result.connects >= len(creds) + result.disconnects, result.summary_lines()
    _assert_stored_exactly_once(target, prefix, creds, result)


@pytest.mark.local_only
@pytest.mark.slow
def test_added_latency_slows_acks_but_loses_nothing(target: Target, fleets: Any) -> None:
    prefix, creds = fleets(10)
    with FaultProxy(target.mqtt_port) as proxy:
        proxy.set_delay(0.25)  # per chunk, each way: a PUBLISH→PUBACK round trip ≥ 0.5 s
        result = run_fleet(_config(creds, proxy.port, target.ca_path, count=20))
    assert result.ack_p50_ms >= 450, result.summary_lines()
    assert result.disconnects == 0 and result.retried == 0, result.summary_lines()
    _assert_stored_exactly_once(target, prefix, creds, result)


@pytest.mark.local_only
@pytest.mark.slow
def test_broker_unreachable_for_a_while_then_back(target: Target, fleets: Any) -> None:
    prefix, creds = fleets(10)
    with FaultProxy(target.mqtt_port) as proxy:
        run = _Background(_config(creds, proxy.port, target.ca_path))
        _wait(lambda: proxy.open_connections == len(creds), 10, "every device to connect")
        time.sleep(1.0)
        proxy.set_refusing(True)
        proxy.drop_connections()
        time.sleep(3.0)  # readings pile up in the offline queues; reconnects are refused
        refused = proxy.stats.refused
        proxy.set_refusing(False)
        result = run.join()
    assert refused > 0
    assert result.connect_failures > 0, result.summary_lines()
    assert result.connects >= 2 * len(creds), result.summary_lines()
    _assert_stored_exactly_once(target, prefix, creds, result)


# --------------------------------------------------------------------------- wrong topic
def _deployed_policy(target: Target) -> dict[str, Any]:
    iot = target.client("iot")
    doc: dict[str, Any] = json.loads(
        iot.get_policy(policyName=target.names.device_policy)["policyDocument"]
    )
    return doc


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.integration
def test_deployed_device_policy_allows_only_own_client_id_and_topics(target: Target) -> None:
    """Read back from the deployed stack (local or, with --aws, the real one)."""
    doc = _deployed_policy(target)
    allows = [s for s in doc["Statement"] if s["Effect"] == "Allow"]
    by_action: dict[str, list[str]] = {}
    for statement in allows:
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in _as_list(statement["Action"]):
            by_action.setdefault(action, []).extend(_as_list(statement["Resource"]))
    assert set(by_action) == {"iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"}
    (connect,) = by_action["iot:Connect"]
    (publish,) = by_action["iot:Publish"]
    (subscribe,) = by_action["iot:Subscribe"]
    (receive,) = by_action["iot:Receive"]
    arn = f"arn:aws:iot:{target.region}:"
    assert connect.startswith(arn) and connect.endswith(f":client/{THING_VARIABLE}"), connect
    assert publish.startswith(arn) and publish.endswith(f":topic/device/{THING_VARIABLE}/data")
    alerts = f"device/{THING_VARIABLE}/alerts"
    assert subscribe.startswith(arn) and subscribe.endswith(f":topicfilter/{alerts}"), subscribe
    assert receive.startswith(arn) and receive.endswith(f":topic/{alerts}"), receive
    for resource in (connect, publish, subscribe, receive):
        account = resource[len(arn) :].split(":", 1)[0]
        assert account.isdigit() and len(account) == 12, resource
        assert "*" not in resource and "+" not in resource and "#" not in resource


@pytest.mark.local_only
@pytest.mark.slow
def test_deployed_policy_refuses_publishing_to_another_devices_topic(
    target: Target, tmp_path: Path
) -> None:
    """A second MiniStack with AUTH=true (it then enforces IoT policies) gets the policy
    document and the rule SQL read back from the deployed stack, and a table of the same
    key schema; device A may write its own topic and not B's."""
    from mqtt_client import MqttRefused, RawPublisher

    from wio_tools.local_aws import LocalAws
    from wio_tools.provision import provision_thing

    policy_doc = json.dumps(_deployed_policy(target))
    rule = target.client("iot").get_topic_rule(ruleName=target.names.topic_rule)["rule"]
    with LocalAws.start(tmp_path / "auth" / "state.json", extra_env={"AUTH": "true"}) as auth:
        iot, ddb = auth.client("iot"), auth.client("dynamodb")
        names = target.names
        iot.create_policy(policyName=names.device_policy, policyDocument=policy_doc)
        ddb.create_table(
            TableName=names.table,
            KeySchema=[
                {"AttributeName": "device_id", "KeyType": "HASH"},
                {"AttributeName": "timestamp", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "device_id", "AttributeType": "S"},
                {"AttributeName": "timestamp", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        # Under AUTH the rule must be able to assume a role that may write the table.
        iam = auth.client("iam")
        role_arn = iam.create_role(
            RoleName="wio-test-rule",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "iot.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName="wio-test-rule",
            PolicyName="put-item",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}
                    ],
                }
            ),
        )
        iot.create_topic_rule(
            ruleName=names.topic_rule,
            topicRulePayload={
                "sql": rule["sql"],
                "awsIotSqlVersion": rule.get("awsIotSqlVersion", "2016-03-23"),
                "ruleDisabled": False,
                "actions": [
                    {
                        "dynamoDBv2": {
                            "roleArn": role_arn,
                            "putItem": {"tableName": names.table},
                        }
                    }
                ],
            },
        )
        ptarget = AwsEnvironment.for_local(auth)
        certs = tmp_path / "certs"
        a = provision_thing("wt-dev-a", target=ptarget, prefix=names.prefix, certs_dir=certs)
        b = provision_thing("wt-dev-b", target=ptarget, prefix=names.prefix, certs_dir=certs)

        def publisher(creds: DeviceCredentials, client_id: str | None = None) -> RawPublisher:
            return RawPublisher(
                host="127.0.0.1",
                port=auth.mqtt_port,
                client_id=client_id or creds.thing_name,
                ca_path=auth.ca_path,
                cert_path=creds.cert_path,
                key_path=creds.key_path,
                insecure_hostname=True,
                timeout=5.0,
            )

        def items(device_id: str) -> list[int]:
            page = ddb.query(
                TableName=names.table,
                KeyConditionExpression="device_id = :d",
                ExpressionAttributeValues={":d": {"S": device_id}},
                ConsistentRead=True,
            )
            return sorted(int(i["timestamp"]["N"]) for i in page["Items"])

        ts = int(time.time()) - 60
        reading = json.dumps({"device_id": a.thing_name, "timestamp": ts, "temperature": 21.0})
        # Allowed: A on its own topic (proves the rule and table work in this emulator).
        with publisher(a) as client:
            client.publish(a.topic, reading)
        _wait(lambda: items(a.thing_name) == [ts], 10, "A's own reading to be stored")

        # Refused: A on B's topic. AWS IoT Core (and MiniStack under AUTH) answers an
        # unauthorized PUBLISH by closing the connection, so no PUBACK comes.
        client = publisher(a).connect()
        try:
            with pytest.raises(MqttRefused):
                spoof = {"device_id": b.thing_name, "timestamp": ts + 1, "temperature": 99.0}
                client.publish(b.topic, json.dumps(spoof))
            assert client.wait_disconnected(5.0)
        finally:
            client.close()
        # Refused too: A connecting with B's client id.
        with pytest.raises(MqttRefused):
            publisher(a, client_id=b.thing_name).connect()
        time.sleep(1.0)  # give a wrongly accepted message time to reach the table
        assert items(b.thing_name) == []
        assert items(a.thing_name) == [ts]
