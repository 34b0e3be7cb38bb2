"""What ``ivrkit lint`` says about a calendar: rules that load and run but are likely mistakes.

- ``calendar-weekly-gap``: a weekday with no hours at all between two open days of the same
  week (Wednesday missing from Monday to Friday);
- ``calendar-overlap``: two ranges of one day that overlap, an override that equals the weekly
  hours of its day (it changes nothing), a holiday that an override of the same date hides;
- ``calendar-outside-years``: a holiday or override outside the calendar's ``years``;
- ``calendar-ics-skipped``: an iCalendar event that was not imported (it has times).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from ivrkit.calendars._calendar import Calendar
from ivrkit.calendars._days import DAY_NAMES, expand_days
from ivrkit.calendars._model import Span, parse_spans


@dataclass(frozen=True)
class CalendarFinding:
    code: str
    message: str


def lint_calendar(calendar: Calendar) -> list[CalendarFinding]:
    """Every warning about one calendar, in a stable order."""
    found: list[CalendarFinding] = []
    _weekly_gaps(calendar, found)
    _overlaps(calendar, found)
    _outside_years(calendar, found)
    for line in calendar.skipped:
        found.append(CalendarFinding("calendar-ics-skipped", line))
    return found


def _weekly_gaps(calendar: Calendar, found: list[CalendarFinding]) -> None:
    weekly = calendar.weekly
    said_closed: set[int] = set()
    if calendar.spec is not None:
        for days, text in calendar.spec.hours.items():
            if not parse_spans(text):
                said_closed.update(expand_days(days))
    for day in range(1, 6):
        if day in said_closed:
            continue
        if not weekly[day] and weekly[day - 1] and weekly[day + 1]:
            found.append(
                CalendarFinding(
                    "calendar-weekly-gap",
                    f"{DAY_NAMES[day]} has no hours, between open {DAY_NAMES[day - 1]} and "
                    f"{DAY_NAMES[day + 1]}: write `{DAY_NAMES[day][:3].lower()}: closed` if "
                    "that is meant",
                )
            )


def _overlaps(calendar: Calendar, found: list[CalendarFinding]) -> None:
    spec = calendar.spec
    if spec is not None:
        by_day: list[list[tuple[str, Span]]] = [[] for _ in range(7)]
        for days, text in spec.hours.items():
            for day in expand_days(days):
                by_day[day].extend((days, span) for span in parse_spans(text))
        for day, spans in enumerate(by_day):
            for (first_key, first), (second_key, second) in combinations(spans, 2):
                if first.start < second.end and second.start < first.end:
                    where = (
                        f"`{first_key}`"
                        if first_key == second_key
                        else f"`{first_key}` and `{second_key}`"
                    )
                    found.append(
                        CalendarFinding(
                            "calendar-overlap",
                            f"{DAY_NAMES[day]}: {first} and {second} overlap ({where})",
                        )
                    )
    for dated, hours in sorted(calendar.overrides.items()):
        weekday = dated.weekday()
        if hours == calendar.weekly[weekday] and dated not in calendar.holidays:
            found.append(
                CalendarFinding(
                    "calendar-overlap",
                    f"the override of {dated} equals the weekly hours of {DAY_NAMES[weekday]}"
                    ": it changes nothing",
                )
            )
        if dated in calendar.holidays:
            found.append(
                CalendarFinding(
                    "calendar-overlap",
                    f"{dated} is a holiday and has an override: the override wins",
                )
            )


def _outside_years(calendar: Calendar, found: list[CalendarFinding]) -> None:
    if calendar.years is None:
        return
    first, last = calendar.years
    span = str(first) if first == last else f"{first}-{last}"
    for day in sorted({*calendar.holidays, *calendar.overrides}):
        if not first <= day.year <= last:
            what = "override" if day in calendar.overrides else "holiday"
            found.append(
                CalendarFinding(
                    "calendar-outside-years",
                    f"the {what} {day} is outside the calendar's years ({span})",
                )
            )
