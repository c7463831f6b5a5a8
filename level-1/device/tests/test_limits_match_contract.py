"""The firmware's field limits (src/wio/payload.h) are the payload contract's.

The board cannot read JSON Schema, so payload.h keeps its own constants; this test reads them
and compares each with the schema through wio_contract. A field added to the schema makes the
last test fail with the constants to add, so the firmware never sends what the rule rejects.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wio_contract.fields import CONTRACT

PAYLOAD_H = Path(__file__).resolve().parents[1] / "wioterminal" / "src" / "wio" / "payload.h"
CONSTANT = re.compile(r"const\s+\w+\s+(k\w+)\s*=\s*(-?\d+)u?\s*;")
# Contract field -> (C++ min constant, C++ max constant, scale of the C++ value).
LIMITS = {
    "timestamp": ("kTimestampMin", "kTimestampMax", 1),
    "temperature": ("kTemperatureMinTenths", "kTemperatureMaxTenths", 10),
    "humidity": ("kHumidityMinTenths", "kHumidityMaxTenths", 10),
    "light": ("kLightMin", "kLightMax", 1),
    "rssi": ("kRssiMin", "kRssiMax", 1),
}
# Fields the firmware bounds by its own type rather than a constant, and why.
BOUNDED_BY_TYPE = {
    "device_id": "checked by valid_thing_name() against kThingNameMax and the pattern",
    "seq": "a uint32_t counter: 0 .. 4294967295 is exactly the contract's range",
}


def _constants() -> dict[str, int]:
    return {name: int(value) for name, value in CONSTANT.findall(PAYLOAD_H.read_text())}


@pytest.mark.parametrize("field", sorted(LIMITS))
def test_firmware_limit_equals_the_contract(field: str) -> None:
    low_name, high_name, scale = LIMITS[field]
    constants = _constants()
    spec = CONTRACT.field(field)
    assert constants[low_name] == spec.minimum * scale, low_name
    assert constants[high_name] == spec.maximum * scale, high_name


def test_thing_name_limit_equals_the_contract() -> None:
    assert _constants()["kThingNameMax"] == CONTRACT.identity.max_length


def test_every_contract_field_is_bounded_by_the_firmware() -> None:
    missing = [
        f.name
        for f in CONTRACT.payload_fields
        if f.name not in LIMITS and f.name not in BOUNDED_BY_TYPE
    ]
    assert not missing, (
        f"the schema has fields the firmware does not bound: {missing}; add k<Field>Min and "
        f"k<Field>Max to {PAYLOAD_H.name} and a line to LIMITS in this test"
    )
    assert CONTRACT.field("seq").minimum == 0 and CONTRACT.field("seq").maximum == 2**32 - 1
