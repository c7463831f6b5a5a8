"""Fakes for the dashboard's unit tests: a moto DynamoDB table, a stub IoT registry and SQS."""

from __future__ import annotations

from typing import Any, Iterator

import boto3

from wio_contract.fields import CONTRACT
from wio_contract.names import ResourceNames

NAMES = ResourceNames("unit")


def create_table(region: str = "ap-northeast-1") -> Any:
    """The sensor table's key schema in moto (call inside ``mock_aws``); returns the client."""
    client = boto3.client("dynamodb", region_name=region)
    client.create_table(
        TableName=NAMES.table,
        KeySchema=[
            {"AttributeName": CONTRACT.identity.name, "KeyType": "HASH"},
            {"AttributeName": CONTRACT.time.name, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": CONTRACT.identity.name, "AttributeType": "S"},
            {"AttributeName": CONTRACT.time.name, "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def put(client: Any, device: str, stamp: int, **values: float) -> None:
    item: dict[str, Any] = {
        CONTRACT.identity.name: {"S": device},
        CONTRACT.time.name: {"N": str(stamp)},
        "raw_payload": {"S": "eyJ4IjoxfQ=="},
    }
    item.update({k: {"N": str(v)} for k, v in values.items()})
    client.put_item(TableName=NAMES.table, Item=item)


class _Pages:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        return iter(self.pages)


class StubIot:
    """``list_things`` pages of 250 over ``names``; counts the pages asked for."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.listings = 0

    def get_paginator(self, operation: str) -> _Pages:
        assert operation == "list_things"
        self.listings += 1
        chunks = [self.names[i : i + 250] for i in range(0, len(self.names), 250)] or [[]]
        return _Pages([{"things": [{"thingName": n} for n in chunk]} for chunk in chunks])


class CountingDynamoDB:
    """Wraps a DynamoDB client; counts ``query`` calls and refuses ``scan``."""

    def __init__(self, inner: Any | None = None) -> None:
        self.inner = inner
        self.queries = 0

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.queries += 1
        assert "KeyConditionExpression" in kwargs
        return self.inner.query(**kwargs) if self.inner else {"Items": []}

    def get_paginator(self, operation: str) -> Any:
        assert operation == "query", "the dashboard never scans"
        return self.inner.get_paginator(operation)

    def scan(self, **_: Any) -> None:
        raise AssertionError("the dashboard never scans")


class StubSqs:
    def __init__(self, visible: int = 3, hidden: int = 1, missing: bool = False) -> None:
        self.visible, self.hidden, self.missing = visible, hidden, missing

    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        if self.missing:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "QueueDoesNotExist"}}, "GetQueueUrl")
        return {"QueueUrl": f"http://sqs.local/{QueueName}"}

    def get_queue_attributes(self, **_: Any) -> dict[str, Any]:
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": str(self.visible),
                "ApproximateNumberOfMessagesNotVisible": str(self.hidden),
            }
        }


def create_level2_tables(client: Any) -> None:
    """Level 2's alerts and forecast tables (``device_id`` + ``ts``) in moto."""
    for table in (NAMES.alerts_table, NAMES.forecast_table):
        client.create_table(
            TableName=table,
            KeySchema=[
                {"AttributeName": "device_id", "KeyType": "HASH"},
                {"AttributeName": "ts", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "device_id", "AttributeType": "S"},
                {"AttributeName": "ts", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )


def put_alert(client: Any, device: str, stamp: int, kind: str, field: str | None = None) -> None:
    """A row as level 2's notify.write_rows writes it."""
    top: dict[str, Any] = {"alert_id": {"S": f"id-{stamp}"}, "kind": {"S": kind}}
    if field is not None:
        top["field"] = {"S": field}
        top.update({"value": {"N": "35.2"}, "expected": {"N": "21"}, "score": {"N": "7.5"}})
    item = {
        "device_id": {"S": device},
        "ts": {"N": str(stamp)},
        **top,
        "alerts": {"L": [{"M": top}]},
        "created_at": {"N": str(stamp + 5)},
    }
    client.put_item(TableName=NAMES.alerts_table, Item=item)


def put_forecast(client: Any, device: str, stamp: int, **values: float) -> None:
    """A row as level 2's forecast.items_of writes it."""
    item: dict[str, Any] = {
        "device_id": {"S": device},
        "ts": {"N": str(stamp)},
        "generated_at": {"N": str(stamp - 3600)},
        "expires_at": {"N": str(stamp + 2 * 86400)},
    }
    for name, value in values.items():
        item[name] = {"N": str(value)}
        item[f"{name}_method"] = {"S": "seasonal_naive"}
        item[f"{name}_mase"] = {"N": "0.8"}
    client.put_item(TableName=NAMES.forecast_table, Item=item)
