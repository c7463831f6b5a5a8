"""Stream writer and partitioner: bad input from the stream, grouping, partial failures."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from wio_lake_functions import partitioner, stream_writer
from wio_lake_functions.records import contiguous_groups, first_document, row_from_image

pytestmark = pytest.mark.unit
DAY1 = 1767225600  # 2026-01-01T00:00:00Z


def record(seq: int, ts: Any, device: str = "wio-1", event: str = "INSERT", **extra: Any) -> dict:
    image: dict[str, Any] = {"device_id": {"S": device}, "received_at": {"N": "1"}}
    if ts is not None:
        image["timestamp"] = {"N": str(ts)}
    image.update(extra)
    return {"eventName": event, "dynamodb": {"SequenceNumber": str(seq), "NewImage": image}}


class Firehose:
    def __init__(self, fail_on: int | None = None) -> None:
        self.records: list[bytes] = []
        self.fail_on = fail_on
        self.calls = 0

    def put_record(self, DeliveryStreamName: str, Record: dict[str, bytes]) -> None:  # noqa
        self.calls += 1
        if self.fail_on == self.calls:
            raise RuntimeError("ServiceUnavailable")
        self.records.append(Record["Data"])


@pytest.fixture
def firehose(monkeypatch: pytest.MonkeyPatch) -> Firehose:
    fake = Firehose()
    monkeypatch.setenv("DELIVERY_STREAM_NAME", "lake")
    monkeypatch.setattr(stream_writer.aws, "client", lambda service: fake)
    return fake


def _rows(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines()]


def test_row_from_image_types_and_drops_raw_payload() -> None:
    row = row_from_image(
        {
            "device_id": {"S": "wio-1"}, "timestamp": {"N": "1767225600"},
            "temperature": {"N": "21.5"}, "light": {"N": "300"}, "humidity": {"S": "oops"},
            "raw_payload": {"S": "eyJ9"}, "unknown": {"N": "1"},
        }
    )  # fmt: skip
    assert row == {"device_id": "wio-1", "timestamp": 1767225600, "temperature": 21.5,
                   "light": 300}  # fmt: skip
    assert isinstance(row["temperature"], float)
    assert row_from_image({"device_id": {"S": "x"}}) is None
    assert row_from_image({"device_id": {"S": "x"}, "timestamp": {"N": "1.5"}}) is None


def test_one_firehose_record_per_batch(firehose: Firehose) -> None:
    # gaps and out-of-order rows within one day
    event = {"Records": [record(i, DAY1 + ts) for i, ts in enumerate([600, 60, 7200, 30])]}
    assert stream_writer.handler(event) == {"batchItemFailures": []}
    assert len(firehose.records) == 1
    rows = _rows(firehose.records[0])
    assert [r["timestamp"] - DAY1 for r in rows] == [600, 60, 7200, 30]


def test_duplicates_modifies_and_invalid_images_are_skipped(firehose: Firehose) -> None:
    event = {
        "Records": [
            record(1, DAY1 + 1),
            record(2, DAY1 + 1),  # same key twice in the batch
            record(3, DAY1 + 2, event="MODIFY"),  # the device re-sent a stored reading
            record(4, DAY1 + 3, event="REMOVE"),
            record(5, None),  # no timestamp
            record(6, "abc"),
            record(7, DAY1 + 4, device="wio-2"),
        ]
    }
    stream_writer.handler(event)
    rows = _rows(firehose.records[0])
    assert [(r["device_id"], r["timestamp"] - DAY1) for r in rows] == [("wio-1", 1), ("wio-2", 4)]


def test_a_batch_across_midnight_makes_one_record_per_day(firehose: Firehose) -> None:
    event = {"Records": [record(1, DAY1 - 5), record(2, DAY1 - 1), record(3, DAY1 + 1)]}
    stream_writer.handler(event)
    assert [len(_rows(r)) for r in firehose.records] == [2, 1]
    days = [partitioner.partition_key(r) for r in firehose.records]
    assert days == ["2025-12-31", "2026-01-01"]


def test_failure_reports_the_first_unsent_group_and_stops(
    firehose: Firehose, monkeypatch: pytest.MonkeyPatch
) -> None:
    firehose.fail_on = 2
    event = {"Records": [record(10, DAY1 - 5), record(11, DAY1 + 1), record(12, DAY1 + 86400)]}
    result = stream_writer.handler(event)
    assert result == {"batchItemFailures": [{"itemIdentifier": "11"}]}
    assert len(firehose.records) == 1  # the third group is not sent: the retry starts at 11


def test_groups_split_below_the_firehose_record_limit() -> None:
    pairs = [(str(i), {"device_id": "d" * 100, "timestamp": DAY1 + i}) for i in range(50)]
    groups = list(contiguous_groups(pairs, max_bytes=1000))
    assert len(groups) > 1 and sum(len(g.rows) for g in groups) == 50
    assert all(len(b"".join(json.dumps(r).encode() for r in g.rows)) <= 1000 for g in groups)


def test_a_single_reading_is_a_record_too(firehose: Firehose) -> None:
    stream_writer.handler({"Records": [record(1, DAY1)]})
    assert len(firehose.records) == 1
    assert stream_writer.handler({"Records": []}) == {"batchItemFailures": []}
    assert len(firehose.records) == 1


def test_partitioner_marks_unusable_records_failed() -> None:
    def rec(rid: str, data: bytes) -> dict:
        return {"recordId": rid, "data": base64.b64encode(data).decode()}

    event = {
        "records": [
            rec("ok", b'{"device_id":"a","timestamp":1767225600}\n{"device_id":"a"}\n'),
            rec("no-ts", b'{"device_id":"a"}'),
            rec("text", b"not json"),
            rec("array", b"[1,2]"),
            rec("bool", b'{"timestamp":true}'),
        ]
    }
    out = {r["recordId"]: r for r in partitioner.handler(event)["records"]}
    assert out["ok"]["result"] == "Ok"
    assert out["ok"]["metadata"] == {"partitionKeys": {"dt": "2026-01-01"}}
    assert out["ok"]["data"] == event["records"][0]["data"]
    for rid in ("no-ts", "text", "array", "bool"):
        assert out[rid]["result"] == "ProcessingFailed", rid
    assert first_document(b'  {"a":1}{"b":2}') == {"a": 1}
