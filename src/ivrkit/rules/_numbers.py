"""Phone numbers in a makeCall: one destination (-1011), a possible MSISDN (-1017), and a caller ID
the account may use (-1014)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import phonenumbers

from ivrkit.rules._document import is_array
from ivrkit.rules._findings import ACCOUNT, Findings

__all__ = ["check_make_call", "is_msisdn"]

_MSISDN_SHAPE = re.compile(r"\+?[0-9]{1,15}")
_NUMBER_SEPARATORS = re.compile(r"[,;]")


@lru_cache(maxsize=4096)
def is_msisdn(number: str) -> bool:
    """Whether ``number`` is a possible international MSISDN, ``+`` optional (-1017 otherwise)."""
    if not _MSISDN_SHAPE.fullmatch(number):
        return False
    try:
        parsed = phonenumbers.parse("+" + number.removeprefix("+"))
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(parsed))


def check_make_call(
    index: int,
    path: str,
    params: Mapping[Any, Any],
    allowed_sources: frozenset[str] | None,
    found: Findings,
) -> None:
    """-1011, -1017 and -1014 for the params of one makeCall."""
    destination = params.get("destination")
    if is_array(destination) or (
        isinstance(destination, str)
        and sum(1 for part in _NUMBER_SEPARATORS.split(destination) if part.strip()) > 1
    ):
        found.add(ACCOUNT, index, -1011, f"{path}.destination")
    elif isinstance(destination, str) and not is_msisdn(destination):
        found.add(ACCOUNT, index, -1017, f"{path}.destination")
    source = params.get("source")
    if allowed_sources is not None and isinstance(source, str):
        digits = _digits(source)
        if not digits or digits not in _digits_of(allowed_sources):
            found.add(ACCOUNT, index, -1014, f"{path}.source")


@lru_cache(maxsize=64)
def _digits_of(numbers: frozenset[str]) -> frozenset[str]:
    return frozenset(_digits(number) for number in numbers)


def _digits(number: str) -> str:
    return "".join(char for char in number if "0" <= char <= "9")
