"""The payload contract: every field of a reading, read from ``sensor-payload.schema.json``.

This module is the only place that interprets the schema. Everything that needs to know a
field's name, type, range, unit or required-ness (the IoT rule SQL, the Glue table, the
DuckDB stand-in, the simulator, the dashboard, the tests) asks :data:`CONTRACT`.

No AWS or CDK import here: the CDK app, the tools and the Lambda code all share it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Mapping, cast

SCHEMA_FILE = "sensor-payload.schema.json"


def _schema_path() -> Path:
    """``WIO_SCHEMA_PATH``, else the copy inside a built wheel, else the checkout's file."""
    if os.environ.get("WIO_SCHEMA_PATH"):
        return Path(os.environ["WIO_SCHEMA_PATH"])
    packaged = Path(__file__).with_name(SCHEMA_FILE)
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[2] / "schema" / SCHEMA_FILE


SCHEMA_PATH = _schema_path()

JsonType = Literal["integer", "number", "string"]
Role = Literal["identity", "time", "measurement", "diagnostic", "server"]
ROLES: tuple[str, ...] = ("identity", "time", "measurement", "diagnostic", "server")

# One row per JSON type: DynamoDB attribute type, Glue/Athena column type, DuckDB type,
# Parquet physical type.
_STORAGE_TYPES: dict[str, tuple[str, str, str, str]] = {
    "integer": ("N", "bigint", "BIGINT", "INT64"),
    "number": ("N", "double", "DOUBLE", "DOUBLE"),
    "string": ("S", "string", "VARCHAR", "BYTE_ARRAY"),
}


class ContractError(ValueError):
    """The schema file is missing or says something the contract cannot represent."""


@dataclass(frozen=True)
class Field:
    """One attribute of a stored reading: a payload field, or one the rule adds."""

    name: str
    json_type: JsonType
    role: Role
    required: bool
    title: str
    label_ja: str
    unit: str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.json_type in ("integer", "number")

    @property
    def is_integer(self) -> bool:
        return self.json_type == "integer"

    @property
    def dynamodb_type(self) -> str:
        return _STORAGE_TYPES[self.json_type][0]

    @property
    def glue_type(self) -> str:
        return _STORAGE_TYPES[self.json_type][1]

    @property
    def duckdb_type(self) -> str:
        return _STORAGE_TYPES[self.json_type][2]

    @property
    def parquet_type(self) -> str:
        return _STORAGE_TYPES[self.json_type][3]

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` (a decoded JSON value) is valid for this field by the schema."""
        if self.json_type == "string":
            if not isinstance(value, str) or not value:
                return False
            return self.max_length is None or len(value) <= self.max_length
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if value != value or value in (float("inf"), float("-inf")):
            return False
        if self.is_integer and value != int(value):
            return False
        if self.minimum is not None and value < self.minimum:
            return False
        return self.maximum is None or value <= self.maximum


def _number(spec: Mapping[str, Any], key: str) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ContractError(f"{key} must be a number, not {value!r}")
    return value


def _field(name: str, spec: Mapping[str, Any], *, required: bool, role: str | None) -> Field:
    json_type = spec.get("type")
    if json_type not in _STORAGE_TYPES:
        raise ContractError(f"field {name!r}: type must be integer, number or string")
    resolved_role = role or spec.get("x-role")
    if resolved_role not in ROLES:
        raise ContractError(f"field {name!r}: x-role must be one of {', '.join(ROLES)}")
    return Field(
        name=name,
        json_type=json_type,
        role=cast(Role, resolved_role),
        required=required,
        title=str(spec.get("title", name)),
        label_ja=str(spec.get("x-label-ja", spec.get("title", name))),
        unit=str(spec.get("x-unit", "")),
        description=str(spec.get("description", "")),
        minimum=_number(spec, "minimum"),
        maximum=_number(spec, "maximum"),
        max_length=spec.get("maxLength"),
        pattern=spec.get("pattern"),
    )


@dataclass(frozen=True)
class Contract:
    """The reading's fields (payload order), the fields the rule adds, and the time rules."""

    payload_fields: tuple[Field, ...]
    stored_extra_fields: tuple[Field, ...]
    max_ahead_of_server_seconds: int
    schema: Mapping[str, Any]

    @classmethod
    def from_schema(cls, schema: Mapping[str, Any]) -> Contract:
        if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
            raise ContractError("the schema must describe an object with properties")
        required = set(schema.get("required", []))
        payload = tuple(
            _field(name, spec, required=name in required, role=None)
            for name, spec in schema["properties"].items()
        )
        extra = tuple(
            _field(name, spec, required=False, role="server")
            for name, spec in schema.get("x-stored-fields", {}).items()
        )
        by_role = {f.role for f in payload}
        if not {"identity", "time"} <= by_role:
            raise ContractError("the schema needs one identity field and one time field")
        time_field = next(f for f in payload if f.role == "time")
        ahead = schema["properties"][time_field.name].get("x-max-ahead-of-server-seconds", 0)
        return cls(
            payload_fields=payload,
            stored_extra_fields=extra,
            max_ahead_of_server_seconds=int(ahead),
            schema=schema,
        )

    @classmethod
    def load(cls, path: Path = SCHEMA_PATH) -> Contract:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ContractError(f"cannot read the payload schema {path}: {error}") from error
        return cls.from_schema(json.loads(text))

    # -- views ---------------------------------------------------------------------------
    @cached_property
    def identity(self) -> Field:
        return next(f for f in self.payload_fields if f.role == "identity")

    @cached_property
    def time(self) -> Field:
        return next(f for f in self.payload_fields if f.role == "time")

    @cached_property
    def measurements(self) -> tuple[Field, ...]:
        """Sensor values people chart (temperature, humidity, light, ...)."""
        return tuple(f for f in self.payload_fields if f.role == "measurement")

    @cached_property
    def optional_numeric(self) -> tuple[Field, ...]:
        """Every optional number a device may send (measurements and diagnostics)."""
        return tuple(
            f
            for f in self.payload_fields
            if f.is_numeric and not f.required and f.role in ("measurement", "diagnostic")
        )

    @cached_property
    def stored_fields(self) -> tuple[Field, ...]:
        """Every attribute a stored item can have, in column order."""
        return self.payload_fields + self.stored_extra_fields

    def field(self, name: str) -> Field:
        for candidate in self.stored_fields:
            if candidate.name == name:
                return candidate
        known = ", ".join(f.name for f in self.stored_fields)
        raise KeyError(f"no field {name!r} in the contract; known: {known}")

    def glue_columns(self) -> list[tuple[str, str, str]]:
        """``(name, glue type, comment)`` for every stored attribute."""
        return [
            (f.name, f.glue_type, f"{f.title} [{f.unit}]" if f.unit else f.title)
            for f in self.stored_fields
        ]

    def duckdb_types(self) -> dict[str, str]:
        return {f.name: f.duckdb_type for f in self.stored_fields}

    def validate(
        self, payload: Any, *, now: float | None = None, thing: str | None = None
    ) -> list[str]:
        """Problems of a decoded payload by the schema (empty when valid); never raises.

        With ``now`` (epoch seconds), a time further ahead than the rule allows is a problem;
        with ``thing`` (the topic's thing name), an identity that disagrees with it.
        """
        if not isinstance(payload, dict):
            return ["the payload is not a JSON object"]
        problems = [
            f"unknown field {key!r}" for key in payload if key not in self.schema["properties"]
        ]
        for f in self.payload_fields:
            if f.name not in payload:
                if f.required:
                    problems.append(f"missing required field {f.name!r}")
            elif not f.accepts(payload[f.name]):
                problems.append(f"{f.name}={payload[f.name]!r} is not a valid {f.json_type}")
        claimed = payload.get(self.identity.name)
        if thing is not None and claimed is not None and claimed != thing:
            problems.append(f"{self.identity.name}={claimed!r} is not the topic's thing {thing!r}")
        stamp = payload.get(self.time.name)
        if now is not None and stamp is not None and self.time.accepts(stamp):
            if float(stamp) > now + self.max_ahead_of_server_seconds:
                problems.append(f"{self.time.name}={stamp} is ahead of the server clock")
        return problems


CONTRACT = Contract.load()
"""The contract of this checkout's schema file."""
