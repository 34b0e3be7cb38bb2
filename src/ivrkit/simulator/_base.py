"""The base model of the simulator's own control API: camelCase JSON like the platform's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ControlModel(BaseModel):
    """A body of the ``/sim/v1`` control API (vendor shapes live in :mod:`ivrkit.wire`).

    NaN and infinities are refused: no answer could carry them back out as JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        serialize_by_alias=True,
        validate_by_alias=True,
        validate_by_name=True,
        allow_inf_nan=False,
    )

    def to_json_dict(self) -> dict[str, object]:
        """The JSON-ready dict of this model (camelCase keys)."""
        return self.model_dump(mode="json", by_alias=True)
