"""The one base model of the wire format: snake_case in Python, camelCase on the wire."""

from __future__ import annotations

import json
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """Base of everything ivrkit sends or receives.

    Serialising keeps exactly the fields that were set (parsed or given), so a payload read from
    the wire goes back out without invented nulls, and an explicit ``null`` survives the trip.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        serialize_by_alias=True,
        validate_by_alias=True,
        validate_by_name=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict the platform expects (camelCase, only the fields that were set)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self) -> str:
        """Compact JSON text of :meth:`to_wire`."""
        return json.dumps(self.to_wire(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def wire_names(cls) -> tuple[str, ...]:
        """The field names as they are written on the wire (camelCase aliases)."""
        return tuple(field.alias or name for name, field in cls.model_fields.items())

    @classmethod
    def from_wire(cls, data: Any) -> Self:
        """Parse a decoded JSON value (dict) or JSON text/bytes into this model."""
        if isinstance(data, str | bytes | bytearray):
            return cls.model_validate_json(data)
        return cls.model_validate(data)


class Outbound(WireModel):
    """What ivrkit sends: unknown fields are refused, so a typo never reaches the platform."""

    model_config = ConfigDict(extra="forbid")


class Inbound(WireModel):
    """What ivrkit receives: fields the platform adds later are kept, not rejected."""

    model_config = ConfigDict(extra="allow")
