"""Days of the week as trees and calendars write them: ``mon-fri``, ``sat,sun``, ``fri-mon``."""

from __future__ import annotations

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def expand_days(days: str | list[str]) -> set[int]:
    """``"mon-fri"`` or ``["sat", "sun"]`` → weekday numbers (Monday is 0); ``fri-mon`` wraps."""
    items = [days] if isinstance(days, str) else days
    found: set[int] = set()
    for item in items:
        for part in item.lower().replace(" ", "").split(","):
            start, _, end = part.partition("-")
            if start not in DAYS or (end and end not in DAYS):
                raise ValueError(f"{part!r} is not a day or range of days (mon..sun)")
            first, last = DAYS.index(start), DAYS.index(end or start)
            span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            found.update(span)
    return found
