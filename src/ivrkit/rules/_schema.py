"""The shape of each callflow entry: unknown actions (-1007), pydantic's schema errors reported in
the words of the platform's JSON-schema validator (-1009), and legacy destinations (-1011)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ivrkit.rules._callflow import SPOKEN
from ivrkit.rules._document import NOT_DEFINED, is_array, join, json_type
from ivrkit.rules._findings import ACCOUNT, SCHEMA, Findings
from ivrkit.wire import ACTION_TYPES

__all__ = ["check_entry", "schema_detail"]

_EXPECTED_TYPE = {
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "string_type": "string",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "list_type": "array",
}


def check_entry(
    index: int, entry: object, trusted: bool, found: Findings
) -> tuple[str | None, Mapping[Any, Any] | None]:
    """Steps 4 (-1007, -1009) and the legacy-destination rule (-1011) for one entry."""
    path = f"$.callflow[{index}]"
    if not isinstance(entry, Mapping):
        found.add(SCHEMA, index, -1009, path, f"{json_type(entry)} found, object expected")
        return None, None
    name = entry.get("action")
    raw_params = entry.get("params")
    params = raw_params if isinstance(raw_params, Mapping) else None
    excused: set[tuple[str | int, ...]] = set()
    if name != "makeCall":
        if "destination" in entry:
            found.add(ACCOUNT, index, -1011, f"{path}.destination")
            excused.add(("destination",))
        if params is not None and "destination" in params:
            found.add(ACCOUNT, index, -1011, f"{path}.params.destination")
            excused.add(("params", "destination"))
    elif params is not None and is_array(params.get("destination")):
        excused.add(("params", "destination"))  # -1011, reported with the other params
    if not isinstance(name, str) or name not in ACTION_TYPES:
        found.add(SCHEMA, index, -1007, f"{path}.action")
        return None, params
    if name in SPOKEN:
        excused.add(("params", "voiceProfile"))  # -1002, not -1009
    if not trusted:
        try:
            ACTION_TYPES[name].model_validate(entry, by_alias=True, by_name=False)
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                loc = tuple(detail["loc"])
                if loc in excused or (detail["type"] == "string_unicode" and name in SPOKEN):
                    continue  # lone surrogates in spoken text are -1016
                where = path
                for key in loc:
                    where = join(where, key)
                found.add(SCHEMA, index, -1009, where, schema_detail(detail))
    return name, params


def schema_detail(error: ErrorDetails) -> str:
    """What the platform's validator says after the JSON path for one pydantic error."""
    kind, context = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "is missing but it is required"
    if kind == "extra_forbidden":
        return NOT_DEFINED
    if kind in _EXPECTED_TYPE:
        return f"{json_type(error['input'])} found, {_EXPECTED_TYPE[kind]} expected"
    if kind == "greater_than_equal":
        return f"must have a minimum value of {context['ge']}"
    if kind == "less_than_equal":
        return f"must have a maximum value of {context['le']}"
    if kind == "string_too_long":
        return f"must be at most {context['max_length']} characters long"
    if kind == "string_pattern_mismatch":
        return f"does not match the regex pattern {context['pattern']}"
    return str(error["msg"])
