"""Phone numbers, and the digits callers type, as every output shows them: the last four digits,
unless told to show them whole.

The one privacy rule for numbers. The CLI (tables, ``--json``, ``--csv``), the dashboard (pages,
JSON, CSV) and the log lines all call :func:`mask_number`, :func:`mask_numbers_in` or
:func:`mask_digits`, so no output shows what another hides. Digits a caller types (an account
number, a PIN) are masked as a phone number is; a menu choice of one or two keys is shown, as it
says only which way the caller went.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "MENU_KEYS", "VISIBLE_DIGITS", "mask_digits", "mask_number", "mask_numbers_in"]

MASK = "•••••"
VISIBLE_DIGITS = 4
MENU_KEYS = 2
"""Longest entry shown whole as a menu choice (``1``, ``#``, ``12``)."""

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


def mask_digits(digits: str | None, *, show: bool = False) -> str:
    """What a caller typed: ``1`` -> ``1`` (a menu choice), ``12345678`` -> ``•••••5678``,
    ``1234`` -> ``•••••`` (:func:`mask_number`); everything with ``show``."""
    if not digits:
        return ""
    if show or len(digits) <= MENU_KEYS:
        return digits
    return mask_number(digits)


def mask_numbers_in(text: str, *, show: bool = False) -> str:
    """``text`` with every E.164 number in it masked by :func:`mask_number`."""
    if show or "+" not in text:
        return text
    return _E164_IN_TEXT.sub(lambda found: mask_number(found.group()), text)
