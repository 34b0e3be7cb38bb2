"""What lint says about calendars: weekly gaps, overlapping rules, dates outside the years,
skipped .ics events (warnings); unknown calendar names and unreadable files (errors)."""

from __future__ import annotations

from pathlib import Path

from ivrkit.calendars import parse_calendar
from ivrkit.calendars._lint import lint_calendar
from ivrkit.trees._lint import lint_text
from tests.calendar_trees import menu_in_hours

CLEAN = """\
name: support
timezone: Europe/London
years: 2026
hours: {mon-fri: "09:00-17:00", sat: "10:00-12:00"}
holidays: [2026-12-25]
overrides: {2026-12-24: "09:00-13:00"}
"""
TREE = menu_in_hours(calendars="calendars")


def findings(text: str) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in lint_calendar(parse_calendar(text))]


def test_a_clean_calendar_has_no_findings() -> None:
    assert findings(CLEAN) == []


def test_a_weekday_missing_between_open_days_is_a_gap() -> None:
    text = CLEAN.replace('mon-fri: "09:00-17:00"', 'mon-tue: "09:00-17:00", thu-fri: "09:00-17:00"')
    assert findings(text) == [
        (
            "calendar-weekly-gap",
            "Wednesday has no hours, between open Tuesday and Thursday: write `wed: closed` if "
            "that is meant",
        )
    ]
    # Said closed, or at the end of the week (Sunday), it is no gap.
    assert findings(text.replace("thu-fri", "wed: closed, thu-fri")) == []


def test_overlapping_ranges_of_one_day_are_reported() -> None:
    text = CLEAN.replace('sat: "10:00-12:00"', 'sat: "10:00-12:00", fri: "16:00-18:00"')
    assert findings(text) == [
        (
            "calendar-overlap",
            "Friday: 09:00-17:00 and 16:00-18:00 overlap (`mon-fri` and `fri`)",
        )
    ]
    assert [
        code for code, _ in findings(CLEAN.replace("10:00-12:00", "10:00-12:00, 11:00-13:00"))
    ] == ["calendar-overlap"]


def test_an_override_equal_to_the_weekly_hours_or_hiding_a_holiday_is_reported() -> None:
    same = CLEAN.replace('2026-12-24: "09:00-13:00"', '2026-12-23: "09:00-17:00"')
    assert findings(same) == [
        (
            "calendar-overlap",
            "the override of 2026-12-23 equals the weekly hours of Wednesday: it changes nothing",
        )
    ]
    hiding = CLEAN.replace('2026-12-24: "09:00-13:00"', '2026-12-25: "10:00-12:00"')
    assert findings(hiding) == [
        ("calendar-overlap", "2026-12-25 is a holiday and has an override: the override wins")
    ]


def test_dates_outside_the_years_are_reported() -> None:
    text = CLEAN.replace("[2026-12-25]", "[2026-12-25, 2027-01-01]")
    assert findings(text) == [
        ("calendar-outside-years", "the holiday 2027-01-01 is outside the calendar's years (2026)")
    ]
    assert findings(text.replace("years: 2026", "years: 2026-2027")) == []
    assert findings(text.replace("years: 2026\n", "")) == []


def write_tree(tmp_path: Path, calendar: str = CLEAN, tree: str = TREE) -> Path:
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "support.yaml").write_text(calendar, encoding="utf-8")
    path = tmp_path / "tree.yaml"
    path.write_text(tree, encoding="utf-8")
    return path


def lint_tree(path: Path) -> list[tuple[str, str, str, int | None]]:
    issues = lint_text(path.read_text(encoding="utf-8"), source=str(path))
    return [(i.severity, i.code, i.message, i.line) for i in issues]


def test_tree_lint_reports_the_calendars_warnings_at_its_calendars_list(tmp_path: Path) -> None:
    path = write_tree(tmp_path, CLEAN.replace("[2026-12-25]", "[2025-12-25]"))
    [(severity, code, message, line)] = lint_tree(path)
    assert (severity, code, line) == ("warning", "calendar-outside-years", 2)
    assert message.startswith("calendar 'support' (")
    assert message.endswith(
        "support.yaml): the holiday 2025-12-25 is outside the calendar's years (2026)"
    )


def test_an_unknown_calendar_name_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = write_tree(tmp_path, tree=TREE.replace("calendar: support", "calendar: suport"))
    [(severity, code, message, line)] = lint_tree(path)
    assert (severity, code, line) == ("error", "unknown-calendar", 8)
    assert message == (
        "no calendar named 'suport' (the tree's calendars: support) (did you mean 'support'?)"
    )


def test_an_unreadable_ics_is_one_error_and_no_unknown_names(tmp_path: Path) -> None:
    calendar = CLEAN + "ical: [broken.ics]\n"
    path = write_tree(tmp_path, calendar)
    (tmp_path / "calendars" / "broken.ics").write_text("not a calendar", encoding="utf-8")
    [(severity, code, message, line)] = lint_tree(path)
    assert (severity, code, line) == ("error", "calendar-unreadable", 2)
    assert "broken.ics is not a readable iCalendar file" in message
    assert "\n" not in message


def test_a_skipped_ics_event_is_a_warning(tmp_path: Path) -> None:
    calendar = CLEAN + "ical: [party.ics]\n"
    path = write_tree(tmp_path, calendar)
    (tmp_path / "calendars" / "party.ics").write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:p\nDTSTART:20261218T150000Z\n"
        "SUMMARY:Party\nEND:VEVENT\nEND:VCALENDAR\n",
        encoding="utf-8",
    )
    assert [(s, c) for s, c, _, _ in lint_tree(path)] == [("warning", "calendar-ics-skipped")]
