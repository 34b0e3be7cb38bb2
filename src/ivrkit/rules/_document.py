"""The JSON document around the callflow: JSON types and paths as the platform names them, and the
top-level fields (-1009, and -1015 for an expired `validUntil`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any, TypeGuard

from ivrkit.rules._findings import ACCOUNT, SCHEMA, Findings
from ivrkit.rules._verdict import Mode, Platform
from ivrkit.wire import parse_valid_until

__all__ = ["NOT_DEFINED", "check_top", "is_array", "join", "json_type"]

NOT_DEFINED = "is not defined in the schema and the schema does not allow additional properties"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOP_LEVEL = {
    Mode.REQUEST: ("callflow", "validUntil", "clientRequestId"),
    Mode.ANSWER: ("callflow", "clientActionId"),
}


def is_array(value: object) -> TypeGuard[Sequence[Any]]:
    """Whether ``value`` is a JSON array (a sequence that is not text)."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


def json_type(value: object) -> str:
    """The JSON type name of ``value``, as the platform's schema messages say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if is_array(value):
        return "array"
    return type(value).__name__


def join(path: str, key: object) -> str:
    """``path`` extended by ``key`` in JSONPath: ``[0]``, ``.name`` or ``["odd key"]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(str(key))}]"


def check_top(top: Mapping[Any, Any], mode: Mode, platform: Platform, found: Findings) -> None:
    """Unknown or mistyped top-level fields (-1009), and an expired `validUntil` (-1015)."""
    allowed = _TOP_LEVEL[mode]
    for key in top:
        if key not in allowed:
            found.add(SCHEMA, -1, -1009, join("$", key), NOT_DEFINED)
    for key in allowed[1:]:
        value = top.get(key)
        if value is not None and not isinstance(value, str):
            found.add(SCHEMA, -1, -1009, f"$.{key}", f"{json_type(value)} found, string expected")
    valid_until = top.get("validUntil") if mode is Mode.REQUEST else None
    if isinstance(valid_until, str):
        try:
            moment = parse_valid_until(valid_until)
        except ValueError:
            detail = "is not a valid date-time (expected YYYY-MM-DDTHH:MM:SS.SSSZ)"
            found.add(SCHEMA, -1, -1009, "$.validUntil", detail)
            return
        now = platform.now()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if moment < now:
            found.add(ACCOUNT, 0, -1015, "$.validUntil")
