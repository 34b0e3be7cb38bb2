"""Phone numbers as the dashboard shows them: only the last four digits, unless told otherwise."""

from __future__ import annotations

__all__ = ["MASK", "mask_number"]

MASK = "•••••"
VISIBLE_DIGITS = 4


def mask_number(number: str | None, *, show: bool) -> str:
    """``+6512345678`` -> ``•••••5678`` (or the number itself with ``show``); "" for None.

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
