"""``wio-doctor``: send a probe of every kind through the deployed rules and see where it went.

Run it right after every ``cdk deploy``: locally (the default, the stack of ``make up``) or in
your account with ``--aws``. Each probe (``wio_contract.probes``: valid with and without each
optional field, every kind of invalid) is published with ``iot-data publish`` to
``device/<probe thing>/data``. The doctor then looks for it in the table (a key Query) and in
the dead-letter queue, prints one line per probe, deletes what it stored, and exits non-zero
when a probe *vanished* (on neither path) or was *misrouted* (the wrong path, or both).

The probe thing needs no certificate: ``iot-data publish`` is authorised by your IAM identity
(``iot:Publish`` on ``device/wio-doctor-*/data``), and the rules see it like any device message.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from wio_contract.names import OUTPUT_REJECTED_QUEUE_URL, ResourceNames
from wio_contract.probes import REJECTED, STORED, Probe, probes
from wio_tools.environment import AwsEnvironment, AwsTargetError

PROBE_THING_PREFIX = "wio-doctor-"
SETTLE_SECONDS = 3.0
ADVICE = """\
What to do:
- VANISHED: a message of that shape would be lost on this account. If it is a probe with a
  field absent or not a number, AWS IoT evaluates the rule's AND/OR strictly (see
  level-1/contract/wio_contract/iot_sql.py): make every device send every field (the firmware
  and wio-sim do), watch the <prefix>-alarm-unhandled-messages alarm, and please open an issue
  with this output. A vanished not-json probe shows up as the rule-parse-errors alarm.
- MISROUTED: the rules no longer match the contract: redeploy (`npx cdk deploy`) and run again.
- Nothing at all arrived: check that the stack is deployed in this region and that the rules
  are enabled (`aws iot get-topic-rule --rule-name <prefix>_iot_rule_sensor_data`)."""


class DoctorError(RuntimeError):
    """The doctor could not run its probes (not: a probe went astray)."""


@dataclass
class ProbeResult:
    probe: Probe
    timestamp: int
    payload: bytes
    stored: bool = False
    rejected: bool = False

    @property
    def verdict(self) -> str:
        if self.stored and self.rejected:
            return "MISROUTED"
        if not self.stored and not self.rejected:
            return "VANISHED"
        went = STORED if self.stored else REJECTED
        return "ok" if went == self.probe.expected else "MISROUTED"


def _queue_url(environment: AwsEnvironment, names: ResourceNames) -> str:
    try:
        stack = environment.client("cloudformation").describe_stacks(StackName=names.stack)
    except ClientError as error:
        raise DoctorError(
            f"stack {names.stack} is not deployed in {environment.region}: {error}"
        ) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0].get("Outputs", [])}
    if OUTPUT_REJECTED_QUEUE_URL not in outputs:
        raise DoctorError(f"stack {names.stack} has no {OUTPUT_REJECTED_QUEUE_URL} output")
    return str(outputs[OUTPUT_REJECTED_QUEUE_URL])


def publish_probes(environment: AwsEnvironment, thing: str, now: int) -> list[ProbeResult]:
    """Publish every probe once, each with its own timestamp; returns what was sent."""
    data = environment.iot_data_client()
    topic = ResourceNames.device_topic(thing)
    results = []
    for offset, probe in enumerate(probes()):
        stamp = now - 3600 + offset
        payload = probe.render(thing, stamp)
        data.publish(topic=topic, qos=1, payload=payload)
        results.append(ProbeResult(probe=probe, timestamp=stamp, payload=payload))
    if len({r.payload for r in results}) != len(results):
        raise DoctorError("two probes rendered the same bytes; they could not be told apart")
    return results


def _stored_timestamps(environment: AwsEnvironment, names: ResourceNames, thing: str) -> set[int]:
    paginator = environment.client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=names.table,
        KeyConditionExpression="device_id = :d",
        ExpressionAttributeValues={":d": {"S": thing}},
        ProjectionExpression="#t",
        ExpressionAttributeNames={"#t": "timestamp"},
        ConsistentRead=True,
    )
    return {int(item["timestamp"]["N"]) for page in pages for item in page.get("Items", [])}


def _collect_rejected(environment: AwsEnvironment, queue_url: str, thing: str) -> list[bytes]:
    """This probe thing's dead letters (deleted once read); other messages are left alone."""
    sqs = environment.client("sqs")
    found: list[bytes] = []
    for _ in range(20):
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=5
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            try:
                record = json.loads(message["Body"])
            except ValueError:
                continue
            if record.get("device_id") != thing:
                continue
            found.append(base64.b64decode(record.get("payload_base64", "")))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def wait_for_results(
    environment: AwsEnvironment,
    names: ResourceNames,
    queue_url: str,
    thing: str,
    results: list[ProbeResult],
    *,
    timeout: float,
) -> None:
    """Poll both paths until every probe is accounted for (plus a settle time) or timeout."""
    by_payload = {r.payload: r for r in results}
    by_stamp = {r.timestamp: r for r in results}
    deadline = time.monotonic() + timeout
    settled_at: float | None = None
    while time.monotonic() < deadline:
        for stamp in _stored_timestamps(environment, names, thing):
            if stamp in by_stamp:
                by_stamp[stamp].stored = True
        for payload in _collect_rejected(environment, queue_url, thing):
            if payload in by_payload:
                by_payload[payload].rejected = True
        if all(r.stored or r.rejected for r in results):
            # Keep looking a little: a misrouted probe may still arrive on the other path.
            settled_at = settled_at or time.monotonic()
            if time.monotonic() - settled_at >= SETTLE_SECONDS:
                return
        time.sleep(0.5)


def delete_stored(environment: AwsEnvironment, names: ResourceNames, thing: str) -> int:
    ddb = environment.client("dynamodb")
    stamps = sorted(_stored_timestamps(environment, names, thing))
    for start in range(0, len(stamps), 25):
        requests = [
            {"DeleteRequest": {"Key": {"device_id": {"S": thing}, "timestamp": {"N": str(s)}}}}
            for s in stamps[start : start + 25]
        ]
        ddb.batch_write_item(RequestItems={names.table: requests})
    return len(stamps)


def render_table(results: Sequence[ProbeResult]) -> str:
    width = max(len(r.probe.id) for r in results)
    lines = [f"{'probe':<{width}}  expected  stored  rejected  result     why"]
    for r in results:
        lines.append(
            f"{r.probe.id:<{width}}  {r.probe.expected:<8}  {'yes' if r.stored else '-':<6}  "
            f"{'yes' if r.rejected else '-':<8}  {r.verdict:<9}  {r.probe.why}"
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wio-doctor",
        description=(
            "Publish a probe of every valid and invalid message shape through the deployed "
            "IoT rules and report, for each, whether it was stored, rejected or lost."
        ),
    )
    parser.add_argument(
        "--aws",
        action="store_true",
        help="probe the stack in your AWS account (default: the local stack of `make up`)",
    )
    parser.add_argument("--region", default=None, help="AWS region (with --aws)")
    parser.add_argument("--prefix", default="attempt", help="resource name prefix")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the probes (default 60)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = ResourceNames(args.prefix)
    thing = PROBE_THING_PREFIX + secrets.token_hex(3)
    try:
        environment = AwsEnvironment.resolve(region=args.region, local=not args.aws)
        print(environment.describe(), flush=True)
        queue_url = _queue_url(environment, names)
        print(f"publishing {len(probes())} probes to {ResourceNames.device_topic(thing)} …")
        results = publish_probes(environment, thing, int(time.time()))
        wait_for_results(environment, names, queue_url, thing, results, timeout=args.timeout)
        removed = delete_stored(environment, names, thing)
    except (AwsTargetError, DoctorError, ClientError, BotoCoreError) as error:
        print(f"wio-doctor: error: {error}", file=sys.stderr)
        return 2
    print(render_table(results))
    bad = [r for r in results if r.verdict != "ok"]
    print(
        f"\n{len(results) - len(bad)} of {len(results)} probes took their expected path; "
        f"removed {removed} probe readings from {names.table}."
    )
    if bad:
        print(f"{len(bad)} probe(s) went astray: {', '.join(r.probe.id for r in bad)}\n{ADVICE}")
        return 1
    return 0
