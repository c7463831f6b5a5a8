"""In-memory stand-ins for the AWS clients the Lambda code uses (unit tests only)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer


class NotFound(Exception):
    pass


class FakeIot:
    class exceptions:  # noqa: N801 - mirrors boto3's client.exceptions
        ResourceNotFoundException = NotFound

    def __init__(self, things: list[str]) -> None:
        self.things = list(things)

    def list_things(self, **_: Any) -> dict[str, Any]:
        return {"things": [{"thingName": t} for t in self.things]}

    def describe_thing(self, thingName: str) -> dict[str, Any]:  # noqa: N803
        if thingName not in self.things:
            raise NotFound(thingName)
        return {"thingName": thingName}


class FakeIotData:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> None:
        self.published.append(kwargs)


class FakeSns:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> None:
        self.messages.append(kwargs)


class FakeDynamoDb:
    """Tables of items keyed by (pk, sk); Query on device_id with a numeric BETWEEN."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[tuple[str, Any], dict[str, Any]]] = {}
        self.queries = 0
        self.fail_device: str | None = None

    def put_item(self, TableName: str, Item: dict[str, Any]) -> None:  # noqa: N803
        sort = Item.get("ts") or Item.get("timestamp")
        key = (Item["device_id"]["S"], sort["N"] if sort else None)
        self.tables.setdefault(TableName, {})[key] = Item

    def get_item(self, TableName: str, Key: dict[str, Any], **_: Any) -> dict[str, Any]:  # noqa
        item = self.tables.get(TableName, {}).get((Key["device_id"]["S"], None))
        return {"Item": item} if item else {}

    def delete_item(self, TableName: str, Key: dict[str, Any]) -> None:  # noqa: N803
        self.tables.get(TableName, {}).pop((Key["device_id"]["S"], None), None)

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.queries += 1
        values = kwargs["ExpressionAttributeValues"]
        device = values[":d"]["S"]
        if device == self.fail_device:
            raise RuntimeError("throttled")
        lo, hi = float(values[":lo"]["N"]), float(values[":hi"]["N"])
        items = [
            item
            for (pk, _), item in self.tables.get(kwargs["TableName"], {}).items()
            if pk == device and lo <= float(item["timestamp"]["N"]) <= hi
        ]
        items.sort(key=lambda i: float(i["timestamp"]["N"]))
        return {"Items": items}

    def plain(self, table: str) -> list[dict[str, Any]]:
        d = TypeDeserializer()
        return [
            {k: d.deserialize(v) for k, v in i.items()} for i in self.tables.get(table, {}).values()
        ]


def reading_item(device: str, ts: int, **values: float) -> dict[str, Any]:
    item: dict[str, Any] = {"device_id": {"S": device}, "timestamp": {"N": str(ts)}}
    for name, value in values.items():
        item[name] = {"N": repr(value)}
    return item
