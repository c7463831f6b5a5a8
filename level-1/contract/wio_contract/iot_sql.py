"""The IoT rule SQL, rendered from the contract.

Two rules listen on ``device/+/data``: the main rule stores a valid reading in DynamoDB, the
rejected rule sends anything else (base64, with its topic and client id) to the dead-letter
queue. Their WHERE clauses are exact complements: ``P`` and ``NOT (P)``.

**How P is written, and what it relies on.** AWS's operator tables document AND, OR and NOT
for Boolean operands only ("Other value -> Undefined") and no short-circuit; MiniStack
evaluates them as SQL three-valued logic (``false AND Undefined`` is false). P is built so
that it is always true or false under three-valued logic: every comparison of a payload value
is guarded by ``NOT isUndefined(x * 1)`` in the same AND, and every optional field by
``isUndefined(x) OR (...)``. Under the strict reading, a message with an absent or non-numeric
field makes P Undefined, and then neither rule fires. No P can be strict-safe and still be
evaluated by MiniStack (it has no ``CASE``), and we ship one SQL to both, so the gap is made
impossible to miss instead: ``wio-doctor`` sends probes of exactly those shapes through the
deployed rules and fails on a vanished one, and the ``unhandled-messages`` alarm counts
``TopicMatch - stored - rejected`` on AWS.

**What is stored.** An explicit column list, no ``*``: each contract field normalised with
``x * 1`` (a numeric string becomes a number, as AWS documents for ``*``), ``device_id`` from
the topic (the payload's claim must agree, or the message is rejected), ``received_at``
(server epoch milliseconds), ``expires_at`` (epoch *seconds*, for DynamoDB TTL) and
``raw_payload``, the message as published in base64. A field outside the schema is therefore
never mixed into the typed columns and never lost: it stays in ``raw_payload``.
"""

from __future__ import annotations

from wio_contract.fields import CONTRACT, Contract, Field
from wio_contract.names import THING_TOPIC_LEVEL, TOPIC_FILTER

IOT_SQL_VERSION = "2016-03-23"
SECONDS_PER_DAY = 86400
THING_FROM_TOPIC = f"topic({THING_TOPIC_LEVEL})"
#: The rejected rule's record in the dead-letter queue: key -> IoT SQL expression.
REJECTED_RECORD: dict[str, str] = {
    "payload_base64": "encode(*, 'base64')",
    "topic": "topic()",
    "device_id": THING_FROM_TOPIC,
    "client_id": "clientid()",
    "received_at": "timestamp()",
}


def _literal(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def normalised(field: Field) -> str:
    """``x * 1``: the field as a number, Undefined for anything that is not numeric."""
    return f"{field.name} * 1"


def numeric_checks(field: Field) -> list[str]:
    """Conditions a present numeric field must meet, each guarded against Undefined."""
    value = normalised(field)
    checks = [f"NOT isUndefined({value})"]
    if field.minimum is not None:
        checks.append(f"{value} >= {_literal(field.minimum)}")
    if field.maximum is not None:
        checks.append(f"{value} <= {_literal(field.maximum)}")
    if field.is_integer:
        checks.append(f"({value}) % 1 = 0")
    return checks


def field_predicate(field: Field, contract: Contract = CONTRACT) -> str:
    """The part of P that one payload field contributes."""
    if field.role == "identity":
        return f"NOT isUndefined({field.name}) AND {field.name} = {THING_FROM_TOPIC}"
    checks = numeric_checks(field)
    if field.role == "time" and contract.max_ahead_of_server_seconds:
        ahead = contract.max_ahead_of_server_seconds
        checks.append(f"{normalised(field)} <= timestamp() / 1000 + {ahead}")
    if field.required:
        return " AND ".join(checks)
    return f"(isUndefined({field.name}) OR ({' AND '.join(checks)}))"


def valid_message_predicate(contract: Contract = CONTRACT) -> str:
    """P: true for a message the contract accepts, false otherwise (three-valued logic)."""
    return " AND ".join(field_predicate(f, contract) for f in contract.payload_fields)


def stored_columns(
    contract: Contract = CONTRACT, *, retention_days: int | None = None
) -> dict[str, str]:
    """Stored attribute -> IoT SQL expression, for the main rule's SELECT."""
    columns: dict[str, str] = {}
    for f in contract.payload_fields:
        columns[f.name] = THING_FROM_TOPIC if f.role == "identity" else normalised(f)
    server = {f.name for f in contract.stored_extra_fields}
    expected = {"received_at", "expires_at", "raw_payload"}
    if server != expected:
        raise ValueError(
            f"x-stored-fields must be exactly {sorted(expected)}, not {sorted(server)}"
        )
    columns["received_at"] = "timestamp()"
    if retention_days is not None:
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        columns["expires_at"] = f"timestamp() / 1000 + {retention_days * SECONDS_PER_DAY}"
    columns["raw_payload"] = "encode(*, 'base64')"
    return columns


def _select(columns: dict[str, str]) -> str:
    return ", ".join(f"{expression} AS {name}" for name, expression in columns.items())


def sensor_data_sql(contract: Contract = CONTRACT, *, retention_days: int | None = None) -> str:
    """The main rule: valid readings, normalised, with the server-side attributes."""
    columns = stored_columns(contract, retention_days=retention_days)
    return (
        f"SELECT {_select(columns)} FROM '{TOPIC_FILTER}' "
        f"WHERE {valid_message_predicate(contract)}"
    )


def rejected_sql(contract: Contract = CONTRACT) -> str:
    """The rejected-message rule: the exact complement of the main rule's WHERE."""
    return (
        f"SELECT {_select(REJECTED_RECORD)} FROM '{TOPIC_FILTER}' "
        f"WHERE NOT ({valid_message_predicate(contract)})"
    )
