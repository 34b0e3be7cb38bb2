"""Reading request bodies as the platform reads them: UTF-8 JSON, no NaN or Infinity, bounded
nesting. Every route parses through :func:`read_json`, so bad input is a 4xx, never a 500."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["BadJson", "read_json"]


class BadJson(ValueError):
    """The body is not JSON the simulator accepts; the message says why, in one line."""


def _refuse_constant(name: str) -> None:
    raise BadJson(f"{name} is not a JSON number")


def read_json(raw: bytes | str, *, empty: Any = None) -> Any:
    """The decoded body; ``empty`` for a blank body. Raises :class:`BadJson`.

    Python's parser accepts ``NaN``/``Infinity`` (which no answer could carry back out) and
    raises RecursionError on deep nesting: both are turned into a plain refusal here.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJson("the body is not UTF-8") from None
    if not raw.strip():
        if empty is None:
            raise BadJson("the body is empty; a JSON object is expected")
        return empty
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except BadJson:
        raise
    except RecursionError:
        raise BadJson("the JSON is nested too deeply") from None
    except ValueError as exc:
        raise BadJson(f"the body is not JSON ({exc})") from None
