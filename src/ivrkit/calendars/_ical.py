"""Holidays from iCalendar (.ics) files, as office and public-holiday calendars export them.

Every all-day event (``DTSTART;VALUE=DATE``) closes each day it covers, named by its SUMMARY; a
yearly or other recurring all-day event (RRULE) closes each of its days inside the calendar's
``years`` (or the ten years from its start when the calendar gives none). An event with times is
not a holiday: it is skipped, and ``ivrkit lint`` says so.

Expansion is bounded, so that a tiny file cannot hang the commands that load it: a rule that
repeats within a day (HOURLY, BYMINUTE, …) or never moves on (INTERVAL=0) is refused, days past
9999 do not exist, and what the recurring events of a file may cost is counted before they are
expanded (a file asking for more is refused, in one line that says what to change).
"""

from __future__ import annotations

from datetime import MAXYEAR, date, datetime, timedelta
from pathlib import Path
from types import FunctionType, SimpleNamespace
from typing import TYPE_CHECKING, Any

from ivrkit.errors import CalendarError

if TYPE_CHECKING:
    import icalendar

MAX_ICS_BYTES = 256 * 1024
"""Largest .ics read (a country's holidays for decades are a few tens of kilobytes); reading
one costs about three seconds a megabyte, and every command that loads a tree reads it."""
MAX_EVENTS = 1_000
"""Most events in one .ics (a country's holidays for ten years are a few hundred)."""
MAX_LINES = 8_000
"""Most lines in one .ics: reading costs about 100 µs a property, whatever its length."""
MAX_INTERVAL = 1_000
MAX_EXPANSION = 200_000
"""What the recurring events of one file may cost to expand (see :class:`_Budget`): about half
a second. Ten years of a daily rule cost 3,650 periods plus, for each occurrence, one and the
days it closes (about 11,000 in all); of a yearly rule, 10 × 50 plus its occurrences."""
SUB_DAILY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
_WEIGHTS = {0: 50, 1: 5, 2: 3, 3: 1}
"""dateutil's work for one period of YEARLY, MONTHLY, WEEKLY, DAILY, counted in days."""
_LAST_DAY = date.max.toordinal()
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

    lines = data.count(b"\n")
    if lines > MAX_LINES:
        raise CalendarError(
            f"{source} has {lines:,} lines, more than {MAX_LINES:,}: "
            "import the holidays of the years the calendar serves"
        )
    events_written = data.count(b"BEGIN:VEVENT")
    if events_written > MAX_EVENTS:
        raise CalendarError(
            f"{source} has {events_written:,} events, more than {MAX_EVENTS:,}: "
            "import the holidays of the years the calendar serves"
        )
    try:
        calendar = icalendar.Calendar.from_ical(data)
        events = list(calendar.walk("VEVENT"))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CalendarError(f"{source} is not a readable iCalendar file: {_said(exc)}") from exc
    holidays: dict[date, str | None] = {}
    skipped: list[str] = []
    budget = _Budget(source)
    for event in events:
        summary = str(event.get("SUMMARY", "")).strip() or None
        label = summary or "an event without a summary"
        try:
            _import_event(event, summary, label, years, budget, holidays, skipped)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            # icalendar keeps a property it could not read (DTSTART:20260229) until it is used.
            raise CalendarError(
                f"{source}: the event {label!r} cannot be read: {_said(exc)}"
            ) from exc
    return holidays, tuple(skipped)


def _import_event(
    event: icalendar.Component,
    summary: str | None,
    label: str,
    years: tuple[int, int] | None,
    budget: _Budget,
    holidays: dict[date, str | None],
    skipped: list[str],
) -> None:
    start = getattr(event.get("DTSTART"), "dt", None)
    if not isinstance(start, date) or isinstance(start, datetime):
        skipped.append(f"{label!s} has a time, not a whole day: not imported as a holiday")
        return
    end = getattr(event.get("DTEND"), "dt", None)
    length = (end - start).days if isinstance(end, date) and not isinstance(end, datetime) else 1
    if not 1 <= length <= MAX_DAYS_PER_EVENT:
        skipped.append(f"{label} lasts {length} days: not imported as a holiday")
        return
    for first in _occurrences(event, start, length, label, years, budget):
        for offset in range(min(length, _LAST_DAY - first.toordinal() + 1)):
            holidays.setdefault(first + timedelta(days=offset), summary)


def _said(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


class _Budget:
    """The work the events of one file may cost: the periods a recurring event's rule steps
    through (days, weeks, months or years between its start and the horizon, weighted by
    dateutil's work for each), counted before it is expanded, then each occurrence and each day
    it closes, as they come."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.left = MAX_EXPANSION

    def spend(self, cost: int, label: str, horizon: int | None) -> None:
        self.left -= cost
        if self.left < 0:
            up_to = f" up to {horizon}" if horizon is not None else ""
            raise CalendarError(
                f"{self.source}: its events close too many days{up_to} (more than "
                f"{MAX_EXPANSION:,} steps to expand; stopped at {label!r}): give the calendar "
                "fewer `years`, start recurring events nearer them, or shorten the events"
            )


def _occurrences(
    event: icalendar.Component,
    start: date,
    length: int,
    label: str,
    years: tuple[int, int] | None,
    budget: _Budget,
) -> list[date]:
    rules = event.get("RRULE")
    if rules is None:
        budget.spend(length, label, None)
        return [start]
    first_year, last_year = years or (start.year, start.year + DEFAULT_SPAN_YEARS - 1)
    first_year, last_year = max(first_year, start.year), min(last_year, MAXYEAR)
    if first_year > last_year:
        return []  # it starts after the years the calendar serves
    found: list[date] = []
    for rule in rules if isinstance(rules, list) else [rules]:
        recurrence = _recurrence(rule, start, label, budget.source)
        periods = _periods(recurrence, start, last_year)
        budget.spend(periods * _WEIGHTS[recurrence._freq], label, last_year)
        window = (datetime(first_year, 1, 1), datetime(last_year, 12, 31))
        found.extend(_expand(recurrence, window, label, length, budget))
    return found


def _recurrence(rule: object, start: date, label: str, source: str) -> Any:
    """dateutil's reading of one RRULE of a whole-day event, refused when it repeats more often
    than daily (a holiday closes whole days) or never moves on (INTERVAL=0)."""
    # python-dateutil (icalendar's own dependency) ships no type stubs.
    import icalendar
    from dateutil.rrule import DAILY, rrulestr  # type: ignore[import-untyped]

    # A rule icalendar could not read stays text (vText), whose iCalendar form escapes ';'.
    text = (
        rule.to_ical().decode("utf-8", "replace")  # type: ignore[no-untyped-call]
        if isinstance(rule, icalendar.vRecur)
        else str(rule)
    )
    where = f"{source}: {label!r} (RRULE:{text[:120]})"
    parts = {
        key.strip().upper(): value.strip().upper()
        for key, _, value in (part.partition("=") for part in text.split(";"))
    }
    freq = parts.get("FREQ", "")
    if freq in SUB_DAILY or parts.keys() & {"BYHOUR", "BYMINUTE", "BYSECOND"}:
        raise CalendarError(
            f"{where} repeats within a day; a holiday closes whole days: repeat it DAILY, "
            "WEEKLY, MONTHLY or YEARLY, without BYHOUR, BYMINUTE or BYSECOND"
        )
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= MAX_INTERVAL:
        raise CalendarError(
            f"{where}: INTERVAL={interval[:20]} is not a whole number from 1 to {MAX_INTERVAL}"
        )
    try:
        recurrence = rrulestr(text, dtstart=datetime(start.year, start.month, start.day))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise CalendarError(f"{where} is a recurrence rule it cannot read: {_said(exc)}") from exc
    if not hasattr(recurrence, "_freq") or recurrence._freq > DAILY:
        raise CalendarError(f"{where} is not one recurrence rule of whole days")
    return recurrence


def _periods(recurrence: Any, start: date, last_year: int) -> int:
    """How many periods (of its FREQ, INTERVAL apart) the rule steps through from its start to
    the end of ``last_year``."""
    from dateutil.rrule import DAILY, MONTHLY, WEEKLY

    days = date(last_year, 12, 31).toordinal() - start.toordinal() + 1
    freq = recurrence._freq
    units = (
        days
        if freq == DAILY
        else days // 7 + 1
        if freq == WEEKLY
        else (last_year - start.year) * 12 + 13 - start.month
        if freq == MONTHLY
        else last_year - start.year + 1
    )
    return max(1, units // max(1, int(recurrence._interval)) + 1)


def _expand(
    recurrence: Any, window: tuple[datetime, datetime], label: str, length: int, budget: _Budget
) -> list[date]:
    """The days of ``recurrence`` inside ``window``, by dateutil's own expansion, stopped once it
    steps past the window's last year.

    dateutil stops a rule that never matches (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``) only after
    year 9999, which is seconds of work for one event; it reads that year as
    ``datetime.MAXYEAR``, so its expansion runs here with a ``datetime`` whose last year is the
    window's."""
    import datetime as datetime_module

    from dateutil import rrule as rrule_module  # type: ignore[import-untyped]

    limits = SimpleNamespace(
        MAXYEAR=window[1].year,
        date=datetime_module.date,
        datetime=datetime_module.datetime,
        time=datetime_module.time,
        timedelta=datetime_module.timedelta,
    )
    scope = dict(vars(rrule_module), datetime=limits)
    code = rrule_module.rrule._iter.__code__
    steps = FunctionType(code, scope, "_iter")(recurrence)
    found: list[date] = []
    try:
        for moment in steps:
            if moment > window[1]:
                break
            # Each occurrence is paid for as it comes: a weekly rule of seven days a week
            # yields seven for each week its periods were counted for.
            if moment >= window[0]:
                budget.spend(1 + length, label, window[1].year)
                found.append(moment.date())
            else:
                budget.spend(1, label, window[1].year)
    except (ValueError, OverflowError) as exc:
        raise CalendarError(f"{budget.source}: {label!r} cannot be expanded: {_said(exc)}") from exc
    return found
