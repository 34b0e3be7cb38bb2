"""The time range a page shows, from its ``since`` and ``until`` query parameters: an ISO date or
time (UTC when it names no zone), or a span back from now ("7d", "24h", "30m", "today")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["DEFAULT_SPAN", "Range", "RangeError", "moment", "parse_range", "start_of_day"]

DEFAULT_SPAN = "7d"
_SPAN = re.compile(r"^(\d{1,5})([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class RangeError(ValueError):
    """A ``since`` or ``until`` the dashboard cannot read (shown to the person who typed it)."""


@dataclass(frozen=True)
class Range:
    """A half-open UTC range [since, until)."""

    since: datetime
    until: datetime


def start_of_day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def moment(text: str, now: datetime, *, end: bool) -> datetime:
    """The time ``text`` names; a date given as an ``end`` includes its whole day."""
    text = text.strip()
    if text == "today":
        return start_of_day(now) + (timedelta(days=1) if end else timedelta())
    if text == "now":
        return now
    span = _SPAN.match(text)
    if span is not None:
        return now - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            # An end date includes its whole day.
            return midnight + timedelta(days=1) if end else midnight
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise RangeError(
            f"{text!r} is not a time: give an ISO date (2026-11-20), a time "
            "(2026-11-20T08:00), or a span back from now (7d, 24h, 30m, today)"
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_range(since: str | None, until: str | None, now: datetime) -> Range:
    """The range of ``since`` (default: the last 7 days) to ``until`` (default: now)."""
    start = moment(since or DEFAULT_SPAN, now, end=False)
    stop = moment(until, now, end=True) if until else now
    if stop <= start:
        raise RangeError(f"the range ends ({stop:%Y-%m-%d %H:%M}) before it starts")
    return Range(start, stop)
