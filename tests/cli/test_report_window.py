"""The time ranges `ivrkit report` reads: relative ones count back from --until."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivrkit.cli import report_window
from ivrkit.errors import ConfigError

UNTIL = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def test_relative_starts_count_back_from_the_end() -> None:
    window = report_window.window("7d", UNTIL)
    assert (window.since, window.until) == (UNTIL - timedelta(days=7), UNTIL)
    assert report_window.window("today", UNTIL).since == datetime(2026, 3, 2, tzinfo=UTC)
    assert report_window.window("90m", UNTIL).since == UNTIL - timedelta(minutes=90)


def test_absolute_times_are_utc_unless_they_say_otherwise() -> None:
    assert report_window.moment("2026-03-01", "--until") == datetime(2026, 3, 1, tzinfo=UTC)
    assert report_window.moment("2026-03-01T09:00", "--until") == datetime(
        2026, 3, 1, 9, tzinfo=UTC
    )
    assert report_window.moment("2026-03-01T09:00+08:00", "--until") == datetime(
        2026, 3, 1, 1, tzinfo=UTC
    )
    assert report_window.window("2026-03-01T09:00Z", UNTIL).since == datetime(
        2026, 3, 1, 9, tzinfo=UTC
    )


def test_both_sides_of_against_count_back_from_the_end() -> None:
    window = report_window.against("14d..7d", until=UNTIL)
    assert (window.since, window.until) == (UNTIL - timedelta(days=14), UNTIL - timedelta(days=7))
    window = report_window.against("2026-02-01..2026-02-08", until=UNTIL)
    assert (window.since.day, window.until.day) == (1, 8)


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("7x", "is not a time"),
        ("yesterday", "is not a time"),
        ("2026-02-30", "is not a time"),
        ("2026-03-03", "not before the range's end"),
    ],
)
def test_a_start_that_is_no_time_or_too_late_is_refused(since: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        report_window.window(since, UNTIL)


@pytest.mark.parametrize("text", ["14d", "..7d", "14d..", "7d..14d"])
def test_an_against_that_is_no_range_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="--against"):
        report_window.against(text, until=UNTIL)
