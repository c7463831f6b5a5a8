"""Probe messages: one per way a message can be valid or invalid, derived from the contract.

``wio-doctor`` publishes them through the deployed rules and checks where each one went;
the unit tests run them through both readings of IoT SQL. Each probe says which path it must
take: ``stored`` (the main rule wrote it) or ``rejected`` (the dead-letter queue has it).
A probe found on neither path has *vanished*; on both, it is *misrouted*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from wio_contract.fields import CONTRACT, Contract, Field

STORED = "stored"
REJECTED = "rejected"


@dataclass(frozen=True)
class Probe:
    """A message template; :meth:`render` fills in the thing name and a unique timestamp."""

    id: str
    expected: str
    why: str
    build: Callable[[str, int], bytes]

    def render(self, thing: str, timestamp: int) -> bytes:
        return self.build(thing, timestamp)


def _typical(field: Field) -> float | int:
    """A valid value inside the field's range (its midpoint, an integer where it must be)."""
    low = field.minimum if field.minimum is not None else 0
    high = field.maximum if field.maximum is not None else low + 100
    middle = (low + high) / 2
    return int(middle) if field.is_integer else round(middle, 1)


def full_reading(thing: str, timestamp: int, contract: Contract = CONTRACT) -> dict[str, Any]:
    """A valid reading with every optional field present."""
    reading: dict[str, Any] = {contract.identity.name: thing, contract.time.name: timestamp}
    for f in contract.optional_numeric:
        reading[f.name] = _typical(f)
    return reading


def _json(change: Callable[[dict[str, Any], int], None]) -> Callable[[str, int], bytes]:
    def build(thing: str, timestamp: int) -> bytes:
        reading = full_reading(thing, timestamp)
        change(reading, timestamp)
        return json.dumps(reading, ensure_ascii=False).encode("utf-8")

    return build


def _set(name: str, value: Any) -> Callable[[dict[str, Any], int], None]:
    def change(reading: dict[str, Any], _ts: int) -> None:
        reading[name] = value

    return change


def _drop(*names: str) -> Callable[[dict[str, Any], int], None]:
    def change(reading: dict[str, Any], _ts: int) -> None:
        for name in names:
            reading.pop(name, None)

    return change


def _raw(text: bytes) -> Callable[[str, int], bytes]:
    return lambda _thing, _ts: text


def probes(contract: Contract = CONTRACT) -> list[Probe]:
    """Every probe, in a stable order."""
    ident, time = contract.identity.name, contract.time.name
    optional = [f.name for f in contract.optional_numeric]
    out = [
        Probe("valid-all-fields", STORED, "every field present", _json(lambda r, t: None)),
        Probe("valid-only-required", STORED, "no optional field", _json(_drop(*optional))),
    ]
    for name in optional:
        out.append(Probe(f"valid-without-{name}", STORED, f"{name} absent", _json(_drop(name))))
        out.append(
            Probe(
                f"valid-only-{name}", STORED, f"only {name}", _json(_drop(*set(optional) - {name}))
            )
        )
    out.append(
        Probe(
            "valid-unknown-field",
            STORED,
            "a field outside the schema: stored reading, the field kept in raw_payload",
            _json(_set("firmware", "1.2.3")),
        )
    )
    for f in (contract.time, *contract.optional_numeric):
        out += _invalid_number_probes(f)
    out += [
        Probe(f"{time}-missing", REJECTED, "required field absent", _json(_drop(time))),
        Probe(
            f"{time}-too-far-ahead",
            REJECTED,
            f"more than {contract.max_ahead_of_server_seconds} s after the server clock",
            _json(lambda r, t: r.__setitem__(time, t + 10 * 86400)),
        ),
        Probe(f"{ident}-missing", REJECTED, "required field absent", _json(_drop(ident))),
        Probe(
            f"{ident}-other-device",
            REJECTED,
            "claims another thing than the topic",
            _json(_set(ident, "someone-else")),
        ),
        Probe(f"{ident}-number", REJECTED, "wrong type", _json(_set(ident, 12345))),
        Probe("not-json", REJECTED, "plain text, not JSON", _raw(b"temperature=25.5")),
        Probe("json-array", REJECTED, "JSON, but not an object", _raw(b"[1, 2, 3]")),
        Probe("empty-payload", REJECTED, "zero bytes", _raw(b"")),
    ]
    return out


def _invalid_number_probes(f: Field) -> list[Probe]:
    name = f.name
    out = [
        Probe(f"{name}-text", REJECTED, "not a number", _json(_set(name, "not-a-number"))),
        Probe(f"{name}-null", REJECTED, "null", _json(_set(name, None))),
        Probe(f"{name}-bool", REJECTED, "a Boolean", _json(_set(name, True))),
        Probe(f"{name}-object", REJECTED, "an object", _json(_set(name, {"v": 1}))),
    ]
    if f.minimum is not None:
        below = f.minimum - (1 if f.is_integer else 0.5)
        out.append(
            Probe(f"{name}-below-minimum", REJECTED, f"< {f.minimum}", _json(_set(name, below)))
        )
    if f.maximum is not None:
        above = f.maximum + (1 if f.is_integer else 0.5)
        out.append(
            Probe(f"{name}-above-maximum", REJECTED, f"> {f.maximum}", _json(_set(name, above)))
        )
    if f.is_integer and f.role != "time":
        out.append(
            Probe(
                f"{name}-fraction",
                REJECTED,
                "an integer field with a fraction",
                _json(lambda r, t: r.__setitem__(name, _typical(f) + 0.5)),
            )
        )
    return out
