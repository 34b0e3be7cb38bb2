"""Holidays from iCalendar (.ics) files, as office and public-holiday calendars export them.

Every all-day event (``DTSTART;VALUE=DATE``) closes each day it covers, named by its SUMMARY; a
yearly or other recurring all-day event (RRULE) closes each of its days inside the calendar's
``years`` (or the ten years from its start when the calendar gives none). An event with times is
not a holiday: it is skipped, and ``ivrkit lint`` says so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ivrkit.errors import CalendarError

if TYPE_CHECKING:
    import icalendar

MAX_ICS_BYTES = 4 * 1024 * 1024
"""Largest .ics read (a country's holidays for decades are a few tens of kilobytes)."""
MAX_DAYS_PER_EVENT = 366
"""Longest all-day event imported (a longer one is almost certainly not a closure)."""
DEFAULT_SPAN_YEARS = 10


def read_ics(
    path: Path, *, years: tuple[int, int] | None = None
) -> tuple[dict[date, str | None], tuple[str, ...]]:
    """(date → holiday name, lines about events skipped) of one .ics file; CalendarError in one
    line when it cannot be read or is not iCalendar."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_ICS_BYTES + 1)
    except OSError as exc:
        raise CalendarError(f"cannot read {path}: {exc.strerror or exc}", file=str(path)) from exc
    if len(data) > MAX_ICS_BYTES:
        raise CalendarError(
            f"{path} is larger than {MAX_ICS_BYTES:,} bytes; is it an iCalendar file?",
            file=str(path),
        )
    return parse_ics(data, source=str(path), years=years)


def parse_ics(
    data: bytes, *, source: str = "<ics>", years: tuple[int, int] | None = None
) -> tuple[dict[date, str | None], tuple[str, ...]]:
    import icalendar  # imported here: only trees with .ics imports pay for it

    try:
        calendar = icalendar.Calendar.from_ical(data)
        events = list(calendar.walk("VEVENT"))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CalendarError(f"{source} is not a readable iCalendar file: {reason}") from exc
    holidays: dict[date, str | None] = {}
    skipped: list[str] = []
    for event in events:
        summary = str(event.get("SUMMARY", "")).strip() or None
        start_prop = event.get("DTSTART")
        start = getattr(start_prop, "dt", None)
        label = summary or "an event without a summary"
        if not isinstance(start, date) or isinstance(start, datetime):
            skipped.append(f"{label!s} has a time, not a whole day: not imported as a holiday")
            continue
        end_prop = event.get("DTEND")
        end = getattr(end_prop, "dt", None)
        length = (
            (end - start).days if isinstance(end, date) and not isinstance(end, datetime) else 1
        )
        if not 1 <= length <= MAX_DAYS_PER_EVENT:
            skipped.append(f"{label} lasts {length} days: not imported as a holiday")
            continue
        for first in _occurrences(event, start, years, source):
            for offset in range(length):
                holidays.setdefault(first + timedelta(days=offset), summary)
    return holidays, tuple(skipped)


def _occurrences(
    event: icalendar.Component, start: date, years: tuple[int, int] | None, source: str
) -> list[date]:
    rule = event.get("RRULE")
    if rule is None:
        return [start]
    # python-dateutil (icalendar's own dependency) ships no type stubs.
    from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

    first_year, last_year = years or (start.year, start.year + DEFAULT_SPAN_YEARS - 1)
    text = rule.to_ical().decode()
    try:
        recurrence = rrulestr(text, dtstart=datetime(start.year, start.month, start.day))
    except (ValueError, TypeError) as exc:
        raise CalendarError(f"{source}: a recurrence rule it cannot read ({text}): {exc}") from exc
    window_start = datetime(max(first_year, start.year), 1, 1)
    window_end = datetime(last_year, 12, 31, 23, 59)
    return [moment.date() for moment in recurrence.between(window_start, window_end, inc=True)]
