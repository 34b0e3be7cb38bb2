"""Calendar files as a person writes them, and the rule that decides: switch > override >
holiday > weekly hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivrkit.calendars import ALL_CALENDARS, Switch, load_calendar, local_moment, parse_calendar
from ivrkit.calendars._model import Span, parse_spans
from ivrkit.errors import CalendarError

SUPPORT = """\
name: support
timezone: Europe/London
years: 2026
hours:
  mon-fri: "09:00-17:00"
  sat: "10:00-12:00, 13:00-15:00"
holidays:
  - 2026-12-25
  - {date: 2026-12-26, name: Boxing Day}
overrides:
  2026-12-24: "09:00-13:00"
  2026-12-25: "10:00-11:00"
  2026-12-31: closed
"""
SWITCHED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    calendar = parse_calendar(SUPPORT)
    return local_moment(text, calendar.zone)


@pytest.mark.parametrize(
    ("moment", "is_open", "rule", "reason"),
    [
        ("2026-12-23T09:00", True, "hours", "weekly hours on Wednesday: 09:00-17:00"),
        ("2026-12-23T08:59", False, "hours", "weekly hours on Wednesday: 09:00-17:00, and"),
        ("2026-12-23T17:00", False, "hours", "17:00 is outside"),  # the end is excluded
        ("2026-12-19T12:30", False, "hours", "weekly hours on Saturday: 10:00-12:00, 13:00-15:00"),
        ("2026-12-19T13:00", True, "hours", "weekly hours on Saturday: 13:00-15:00"),
        ("2026-12-20T12:00", False, "hours", "weekly hours on Sunday: closed all day"),
        ("2026-12-24T12:59", True, "override", "override 2026-12-24: 09:00-13:00"),
        ("2026-12-24T13:00", False, "override", "override 2026-12-24"),
        ("2026-12-26T11:00", False, "holiday", "holiday 2026-12-26 (Boxing Day)"),
        ("2026-12-31T10:00", False, "override", "override 2026-12-31: closed all day"),
    ],
)
def test_the_rule_that_decides_is_named(moment: str, is_open: bool, rule: str, reason: str) -> None:
    status = parse_calendar(SUPPORT).status(at(moment))
    assert (status.open, status.rule) == (is_open, rule)
    assert reason in status.reason


def test_an_override_wins_over_a_holiday_of_the_same_date() -> None:
    calendar = parse_calendar(SUPPORT)
    assert calendar.status(at("2026-12-25T10:30")).rule == "override"
    assert calendar.status(at("2026-12-25T10:30")).open
    assert not calendar.status(at("2026-12-25T12:00")).open


def test_the_switch_wins_over_everything_and_the_star_switch_closes_every_calendar() -> None:
    calendar = parse_calendar(SUPPORT)
    moment = at("2026-12-24T10:00")
    own = {"support": Switch("support", True, "flood", SWITCHED_AT)}
    every = {ALL_CALENDARS: Switch(ALL_CALENDARS, True, None, SWITCHED_AT)}
    other = {"sales": Switch("sales", True, None, SWITCHED_AT)}
    status = calendar.status(moment, own)
    assert (status.open, status.rule) == (False, "switch")
    assert "flood" in status.reason
    assert calendar.status(moment, every).rule == "switch"
    assert "every calendar" in calendar.status(moment, every).reason
    assert calendar.status(moment, other).open


def test_a_moment_with_an_offset_is_read_in_the_calendars_zone() -> None:
    calendar = parse_calendar(SUPPORT)
    assert local_moment("2026-12-23T08:30Z", calendar.zone).hour == 8
    status = calendar.status(local_moment("2026-12-23T09:30+01:00", calendar.zone))
    assert status.local.hour == 8 and not status.open


def test_a_naive_datetime_is_refused_by_the_verdict() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_calendar(SUPPORT).status(datetime(2026, 12, 23, 10, 0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: s\ntimezone: Mars/Olympus\n", "timezone: unknown time zone 'Mars/Olympus'"),
        ("name: s\ntimezone: UTC\nhours: {mon: '17:00-09:00'}\n", "ends before it starts"),
        ("name: s\ntimezone: UTC\nhours: {mon: '9-5'}\n", "'9-5' is not a time range"),
        ("name: s\ntimezone: UTC\nhours: {monday: '09:00-17:00'}\n", "'monday' is not a day"),
        ("name: s\ntimezone: UTC\nyears: 2027-2026\n", "ends before it starts"),
        ("name: s\ntimezone: UTC\nholidays: [2026-02-30]\n", "holidays.0.date"),
        ("name: s\ntimezone: UTC\nopen: always\n", "open: Extra inputs are not permitted"),
        ("- just a list\n", "a calendar file is a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_calendar_is_one_line_naming_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CalendarError) as caught:
        parse_calendar(text, source="cal.yaml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("cal.yaml")
    assert "\n" not in str(caught.value)


def test_a_calendar_file_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read the calendar file"):
        load_calendar(tmp_path / "missing.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(CalendarError, match="not UTF-8"):
        load_calendar(tmp_path / "latin1.yaml")


def test_spans_accept_24_00_and_closed() -> None:
    assert parse_spans("closed") == ()
    assert parse_spans(" 13:00-24:00 , 08:00-12:00") == (Span(480, 720), Span(780, 1440))
    calendar = parse_calendar("name: late\ntimezone: UTC\nhours: {sun: '22:00-24:00'}\n")
    assert calendar.is_open(datetime(2026, 12, 20, 23, 59, tzinfo=UTC))
    assert not calendar.is_open(datetime(2026, 12, 21, 0, 0, tzinfo=UTC))


@given(
    st.integers(min_value=0, max_value=1439),
    st.integers(min_value=1, max_value=1440),
)
def test_a_written_span_reads_back_as_itself(start: int, length: int) -> None:
    end = min(start + length, 1440)
    text = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    assert parse_spans(text) == (Span(start, end),)
    assert str(Span(start, end)) == text


def test_holidays_listed_as_bare_dates_or_with_names() -> None:
    calendar = parse_calendar(SUPPORT)
    assert calendar.holidays == {date(2026, 12, 25): None, date(2026, 12, 26): "Boxing Day"}
    assert calendar.years == (2026, 2026)
