"""Daylight saving: every rule is wall-clock time in the calendar's zone. A range that starts in
the skipped hour opens when the clock jumps past it; the repeated hour is inside a range both
times; a wall time asked about that is skipped or repeated is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ivrkit.calendars import local_moment, parse_calendar
from ivrkit.errors import CalendarError

LONDON = """\
name: london
timezone: Europe/London
hours:
  mon-fri: "09:00-17:00"
  sun: "01:30-05:00"
overrides:
  2026-10-25: "00:00-01:30"
"""
NEW_YORK = """\
name: new-york
timezone: America/New_York
hours:
  mon-fri: "09:00-17:00"
  sun: "02:30-04:00"
overrides:
  2026-11-01: "01:00-02:00"
"""


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        # 29 March 2026: 01:00 GMT becomes 02:00 BST. 01:30-05:00 opens at the jump.
        (utc(2026, 3, 29, 0, 59), False),  # 00:59 GMT
        (utc(2026, 3, 29, 1, 0), True),  # 02:00 BST
        (utc(2026, 3, 29, 3, 59), True),  # 04:59 BST
        (utc(2026, 3, 29, 4, 0), False),  # 05:00 BST
        # Weekdays either side of the change open at 09:00 on the wall clock.
        (utc(2026, 3, 27, 9, 0), True),  # Friday 09:00 GMT
        (utc(2026, 3, 30, 8, 0), True),  # Monday 09:00 BST
        (utc(2026, 3, 30, 7, 59), False),  # Monday 08:59 BST
        (utc(2026, 3, 30, 16, 0), False),  # Monday 17:00 BST
        # 25 October 2026: 02:00 BST becomes 01:00 GMT; 00:00-01:30 holds both 01:15s.
        (utc(2026, 10, 24, 23, 0), True),  # 00:00 BST
        (utc(2026, 10, 25, 0, 15), True),  # 01:15 BST
        (utc(2026, 10, 25, 1, 15), True),  # 01:15 GMT, the second time
        (utc(2026, 10, 25, 1, 30), False),  # 01:30 GMT
    ],
)
def test_london_on_its_change_days(moment: datetime, is_open: bool) -> None:
    assert parse_calendar(LONDON).is_open(moment) is is_open


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        # 8 March 2026: 02:00 EST becomes 03:00 EDT. 02:30-04:00 opens at the jump.
        (utc(2026, 3, 8, 6, 59), False),  # 01:59 EST
        (utc(2026, 3, 8, 7, 0), True),  # 03:00 EDT
        (utc(2026, 3, 8, 7, 59), True),  # 03:59 EDT
        (utc(2026, 3, 8, 8, 0), False),  # 04:00 EDT
        (utc(2026, 3, 6, 14, 0), True),  # Friday 09:00 EST
        (utc(2026, 3, 6, 13, 30), False),  # Friday 08:30 EST
        (utc(2026, 3, 9, 13, 0), True),  # Monday 09:00 EDT
        (utc(2026, 3, 9, 12, 59), False),  # Monday 08:59 EDT
        # 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:00-02:00 lasts two hours.
        (utc(2026, 11, 1, 4, 59), False),  # 00:59 EDT
        (utc(2026, 11, 1, 5, 0), True),  # 01:00 EDT
        (utc(2026, 11, 1, 6, 30), True),  # 01:30 EST
        (utc(2026, 11, 1, 7, 0), False),  # 02:00 EST
    ],
)
def test_new_york_on_its_change_days(moment: datetime, is_open: bool) -> None:
    assert parse_calendar(NEW_YORK).is_open(moment) is is_open


@pytest.mark.parametrize(
    ("calendar", "text"),
    [(LONDON, "2026-03-29T01:30"), (NEW_YORK, "2026-03-08T02:30")],
)
def test_a_skipped_wall_time_is_refused(calendar: str, text: str) -> None:
    zone = parse_calendar(calendar).zone
    with pytest.raises(CalendarError, match="does not exist .* the clocks skip it"):
        local_moment(text, zone)


@pytest.mark.parametrize(
    ("calendar", "text", "first", "second"),
    [
        (LONDON, "2026-10-25T01:30", "+01:00", "+00:00"),
        (NEW_YORK, "2026-11-01T01:30", "-04:00", "-05:00"),
    ],
)
def test_a_repeated_wall_time_is_refused_with_both_offsets(
    calendar: str, text: str, first: str, second: str
) -> None:
    zone = parse_calendar(calendar).zone
    with pytest.raises(CalendarError, match="happens twice") as caught:
        local_moment(text, zone)
    assert f"{first} for the first, {second} for the second" in str(caught.value)
    earlier, later = local_moment(text + first, zone), local_moment(text + second, zone)
    assert (later.astimezone(UTC) - earlier.astimezone(UTC)).total_seconds() == 3600
