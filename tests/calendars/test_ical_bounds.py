"""iCalendar imports are bounded: a tiny file cannot make the commands that load it hang or
crash. Sub-daily rules and INTERVAL=0 are refused in one line, days past 9999 do not exist, a
rule that never matches stops at the calendar's last year, and a file asking for too much
expansion is refused; random rules and dates at the edges only ever give CalendarError."""

from __future__ import annotations

import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivrkit.calendars import load_calendar
from ivrkit.calendars._ical import MAX_EVENTS, MAX_ICS_BYTES, parse_ics
from ivrkit.errors import CalendarError
from tests.calendar_trees import menu_in_hours
from tests.cli.run import ivrkit


def ics(*events: str) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{index}@example.com\r\n{event}\r\nEND:VEVENT\r\n"
        for index, event in enumerate(events)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n".encode()


def holiday(rule: str, start: str = "20260101", summary: str = "Closed") -> str:
    return f"DTSTART;VALUE=DATE:{start}\r\nSUMMARY:{summary}\r\nRRULE:{rule}"


@pytest.mark.parametrize("freq", ["SECONDLY", "MINUTELY", "HOURLY"])
def test_a_rule_repeating_within_a_day_is_refused(freq: str) -> None:
    with pytest.raises(CalendarError, match="repeats within a day; a holiday closes whole days"):
        parse_ics(ics(holiday(f"FREQ={freq}")))


def test_a_daily_rule_with_hours_is_refused() -> None:
    with pytest.raises(CalendarError, match="without BYHOUR, BYMINUTE or BYSECOND"):
        parse_ics(ics(holiday("FREQ=DAILY;BYHOUR=9,10")))


def test_interval_zero_is_refused() -> None:
    with pytest.raises(CalendarError, match="INTERVAL=0 is not a whole number from 1 to 1000"):
        parse_ics(ics(holiday("FREQ=DAILY;INTERVAL=0")))


def test_a_recurrence_past_year_9999_stops_there() -> None:
    holidays, _ = parse_ics(ics(holiday("FREQ=DAILY;COUNT=5", start="99991230")))
    assert sorted(holidays) == [date(9999, 12, 30), date(9999, 12, 31)]


def test_a_long_event_at_the_end_of_the_calendar_stops_at_its_last_day() -> None:
    holidays, _ = parse_ics(
        ics("DTSTART;VALUE=DATE:99991231\r\nDURATION:P3D\r\nSUMMARY:End\r\nRRULE:FREQ=YEARLY")
    )
    assert sorted(holidays) == [date(9999, 12, 31)]


def test_a_huge_count_is_bounded_by_the_years() -> None:
    holidays, _ = parse_ics(ics(holiday("FREQ=YEARLY;COUNT=999999999999999999999")))
    assert sorted(day.year for day in holidays) == list(range(2026, 2036))


def test_a_rule_that_never_matches_gives_no_day() -> None:
    # dateutil alone looks for 30 February until year 9999: seconds for each such event.
    rule = holiday("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    holidays, _ = parse_ics(ics(*[rule] * 20))
    assert holidays == {}


def test_a_file_asking_for_too_much_expansion_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bank.ics").write_bytes(ics(*[holiday("FREQ=DAILY", start="20000101")] * 40))
    calendar = tmp_path / "support.yaml"
    calendar.write_text(
        "name: support\ntimezone: Europe/London\nyears: 2000-2099\nical: [bank.ics]\n",
        encoding="utf-8",
    )
    with pytest.raises(CalendarError) as caught:
        load_calendar(calendar)
    message = str(caught.value)
    assert "too many days up to 2099" in message and "fewer `years`" in message
    assert "\n" not in message


def test_too_many_events_are_refused_before_they_are_read() -> None:
    with pytest.raises(CalendarError, match=f"more than {MAX_EVENTS:,}"):
        parse_ics(ics(*["DTSTART;VALUE=DATE:20260101"] * (MAX_EVENTS + 1)))


TREE = menu_in_hours()


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=SECONDLY", "repeats within a day"),
        ("FREQ=MINUTELY", "repeats within a day"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0"),
    ],
)
def test_lint_and_calendar_check_say_a_bad_rule_in_one_line(
    tmp_path: Path, rule: str, words: str
) -> None:
    (tmp_path / "bank.ics").write_bytes(ics(holiday(rule)))
    (tmp_path / "support.yaml").write_text(
        "name: support\ntimezone: Europe/London\nhours: {mon-fri: '09:00-17:00'}\n"
        "ical: [bank.ics]\n",
        encoding="utf-8",
    )
    (tmp_path / "tree.yaml").write_text(TREE, encoding="utf-8")
    checked = ivrkit("calendar", "check", "support.yaml", cwd=tmp_path, columns=400)
    assert checked.returncode == 1
    assert words in checked.stderr and "Traceback" not in checked.stderr
    assert len(checked.stderr.strip().splitlines()) == 1
    linted = ivrkit("lint", "tree.yaml", cwd=tmp_path, columns=400)
    assert linted.returncode == 1
    assert "calendar-unreadable" in linted.stdout + linted.stderr
    assert words in linted.stdout + linted.stderr


def test_an_event_in_year_9999_is_checked_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "bank.ics").write_bytes(ics(holiday("FREQ=DAILY;COUNT=5", start="99991230")))
    (tmp_path / "support.yaml").write_text(
        "name: support\ntimezone: Pacific/Kiritimati\nhours: {mon-fri: '09:00-17:00'}\n"
        "ical: [bank.ics]\n",
        encoding="utf-8",
    )
    ran = ivrkit(
        "calendar", "check", "support.yaml", "--at", "9999-12-31T12:00", cwd=tmp_path, columns=400
    )
    assert "Traceback" not in ran.stderr
    assert ran.returncode == 0, ran.stderr
    assert "holiday 9999-12-31" in ran.stdout
    late = ivrkit(
        "calendar", "check", "support.yaml", "--at", "9999-12-31T23:59Z", cwd=tmp_path, columns=400
    )
    assert late.returncode == 1 and "Traceback" not in late.stderr
    assert "falls outside the years 1 to 9999" in late.stderr


# -- fuzz ----------------------------------------------------------------------------------------

FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY", "FORTNIGHTLY"]
EDGE_DATES = ["00010101", "00011231", "19700101", "20260229", "20280229", "99991230", "99991231"]
PARTS = st.one_of(
    st.builds("INTERVAL={}".format, st.integers(-2, 10**6)),
    st.builds("COUNT={}".format, st.sampled_from([0, 1, 5, 10**6, 10**30])),
    st.builds("UNTIL={}".format, st.sampled_from(EDGE_DATES)),
    st.builds("BYMONTH={}".format, st.integers(-1, 13)),
    st.builds("BYMONTHDAY={}".format, st.integers(-32, 32)),
    st.builds("BYYEARDAY={}".format, st.integers(-367, 367)),
    st.builds("BYWEEKNO={}".format, st.integers(-54, 54)),
    st.builds("BYSETPOS={}".format, st.integers(-400, 400)),
    st.builds("BYDAY={}".format, st.sampled_from(["MO", "+5FR", "-1SU", "53TU", "XX", "SA,SU"])),
    st.builds("BYHOUR={}".format, st.integers(0, 24)),
    st.sampled_from(["WKST=SU", "X-NAME=1", "=", ";;", "BYEASTER=0"]),
)
RULES = st.builds(
    lambda freq, parts: ";".join([f"FREQ={freq}", *parts]),
    st.sampled_from(FREQS),
    st.lists(PARTS, max_size=4),
)
DATES = st.one_of(
    st.sampled_from(EDGE_DATES),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(
        lambda day: day.strftime("%Y%m%d").zfill(8)
    ),
)
EVENTS = st.builds(
    lambda start, rule, days, timed: (
        f"DTSTART{'' if timed else ';VALUE=DATE'}:{start}{'T090000Z' if timed else ''}\r\n"
        f"DURATION:P{days}D\r\nSUMMARY:Fuzz\r\n" + (f"RRULE:{rule}" if rule else "")
    ),
    DATES,
    st.one_of(st.none(), RULES),
    st.integers(0, 400),
    st.booleans(),
)
YEARS = st.one_of(
    st.none(),
    st.tuples(st.integers(1, 9999), st.integers(0, 200)).map(
        lambda pair: (pair[0], min(9999, pair[0] + pair[1]))
    ),
    st.just((1, 9999)),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(events=st.lists(EVENTS, min_size=1, max_size=6), years=YEARS)
def test_random_calendars_are_read_or_refused_in_one_line_with_bounded_memory(
    events: list[str], years: tuple[int, int] | None
) -> None:
    data = ics(*events)
    assert len(data) < MAX_ICS_BYTES
    tracemalloc.start()
    try:
        holidays, _ = parse_ics(data, years=years)
    except CalendarError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert all(isinstance(day, date) for day in holidays)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


def test_long_events_count_towards_the_bound() -> None:
    year_long = "DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20261231\r\nSUMMARY:Long"
    with pytest.raises(CalendarError, match="close too many days"):
        parse_ics(ics(*[year_long] * 1_000))


def test_a_calendar_file_past_256_kib_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    holidays = "".join(f"  - {{date: 2026-01-01, name: h{n}}}\n" for n in range(8_000))
    path.write_text(f"name: s\ntimezone: Europe/London\nholidays:\n{holidays}", encoding="utf-8")
    with pytest.raises(CalendarError, match="larger than 262,144 bytes"):
        load_calendar(path)


def test_too_many_lines_are_refused_before_they_are_read() -> None:
    padded = "DTSTART;VALUE=DATE:20260101\r\n" + "X-A:b\r\n" * 9_000 + "SUMMARY:x"
    with pytest.raises(CalendarError, match="lines, more than 8,000"):
        parse_ics(ics(padded))
