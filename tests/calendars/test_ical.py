"""Holidays imported from iCalendar files: all-day events (one or several days, recurring
yearly) close their days; events with times are skipped and said; a broken file is one line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ivrkit.calendars import load_calendar
from ivrkit.calendars._ical import parse_ics
from ivrkit.errors import CalendarError

ICS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//ivrkit tests//EN
BEGIN:VEVENT
UID:christmas@example.com
DTSTART;VALUE=DATE:20261225
DTEND;VALUE=DATE:20261227
SUMMARY:Christmas and Boxing Day
END:VEVENT
BEGIN:VEVENT
UID:new-year@example.com
DTSTART;VALUE=DATE:20260101
SUMMARY:New Year's Day
RRULE:FREQ=YEARLY
END:VEVENT
BEGIN:VEVENT
UID:party@example.com
DTSTART:20261218T150000Z
DTEND:20261218T170000Z
SUMMARY:Office party
END:VEVENT
BEGIN:VEVENT
UID:long@example.com
DTSTART;VALUE=DATE:20260601
SUMMARY:A folded summary that goes on
  and on
END:VEVENT
END:VCALENDAR
"""

CALENDAR = """\
name: support
timezone: Europe/London
years: 2026-2027
hours: {mon-fri: "09:00-17:00"}
holidays: [{date: 2026-06-01, name: Our own name wins}]
ical: [holidays/bank.ics]
"""


def write(tmp_path: Path, ics: str = ICS, calendar: str = CALENDAR) -> Path:
    (tmp_path / "holidays").mkdir(exist_ok=True)
    (tmp_path / "holidays" / "bank.ics").write_bytes(ics.replace("\n", "\r\n").encode())
    path = tmp_path / "support.yaml"
    path.write_text(calendar, encoding="utf-8")
    return path


def test_all_day_events_become_holidays_relative_to_the_calendar_file(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path))
    assert calendar.holidays[date(2026, 12, 25)] == "Christmas and Boxing Day"
    assert calendar.holidays[date(2026, 12, 26)] == "Christmas and Boxing Day"
    assert date(2026, 12, 27) not in calendar.holidays  # DTEND is exclusive
    assert calendar.holidays[date(2026, 6, 1)] == "Our own name wins"


def test_a_yearly_event_closes_each_year_of_the_calendar(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path))
    new_years = sorted(day for day, name in calendar.holidays.items() if name == "New Year's Day")
    assert new_years == [date(2026, 1, 1), date(2027, 1, 1)]


def test_a_yearly_event_spans_ten_years_when_the_calendar_gives_none() -> None:
    holidays, _ = parse_ics(ICS.encode())
    years = sorted(day.year for day, name in holidays.items() if name == "New Year's Day")
    assert years == list(range(2026, 2036))


def test_a_timed_event_is_skipped_and_said(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path))
    assert date(2026, 12, 18) not in calendar.holidays
    assert calendar.skipped == (
        "holidays/bank.ics: Office party has a time, not a whole day: not imported as a holiday",
    )


def test_a_folded_summary_is_unfolded() -> None:
    holidays, _ = parse_ics(ICS.encode())
    assert holidays[date(2026, 6, 1)] == "A folded summary that goes on and on"


@pytest.mark.parametrize(
    ("ics", "message"),
    [
        ("this is not a calendar\n", "is not a readable iCalendar file"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VCALENDAR\n", "is not a readable iCalendar file"),
    ],
)
def test_an_unreadable_ics_is_one_line(tmp_path: Path, ics: str, message: str) -> None:
    with pytest.raises(CalendarError) as caught:
        load_calendar(write(tmp_path, ics))
    assert message in str(caught.value)
    assert "bank.ics" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_ics_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text(CALENDAR.replace("holidays/bank.ics", "gone.ics"), encoding="utf-8")
    with pytest.raises(CalendarError, match=r"cannot read .*gone\.ics"):
        load_calendar(path)
