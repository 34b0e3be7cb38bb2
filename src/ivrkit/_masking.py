"""Phone numbers as every output shows them: the last four digits, unless told to show them whole.

The one privacy rule for numbers. The CLI (tables, ``--json``, ``--csv``), the dashboard (pages,
JSON, CSV) and the log lines all call :func:`mask_number` or :func:`mask_numbers_in`, so no output
shows what another hides.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "VISIBLE_DIGITS", "mask_number", "mask_numbers_in"]

MASK = "•••••"
VISIBLE_DIGITS = 4

_E164_IN_TEXT = re.compile(r"(?<![\w+])\+\d{3,15}(?!\d)")
"""An E.164 number (``+`` and digits) standing alone in free text, as log lines carry them."""


def mask_number(number: str | None, *, show: bool = False) -> str:
    """``+6512345678`` -> ``•••••5678`` (or the number itself with ``show``); "" for None or "".

    A number of four digits or fewer is masked whole: its last four would be all of it.
    """
    if not number:
        return ""
    if show:
        return number
    digits = [ch for ch in number if ch.isdigit()]
    if len(digits) <= VISIBLE_DIGITS:
        return MASK
    return MASK + "".join(digits[-VISIBLE_DIGITS:])


def mask_numbers_in(text: str, *, show: bool = False) -> str:
    """``text`` with every E.164 number in it masked by :func:`mask_number`."""
    if show or "+" not in text:
        return text
    return _E164_IN_TEXT.sub(lambda found: mask_number(found.group()), text)
