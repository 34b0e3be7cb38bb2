"""Calling windows in the callee's local time, across zones and a DST change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ivrkit.campaigns import CallingWindow
from ivrkit.errors import ConfigError

DAYTIME = CallingWindow.parse("09:00-20:00", "mon-sun")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_singapore_plus_65_is_open_in_its_own_morning() -> None:
    assert DAYTIME.is_open(utc(2026, 3, 2, 1, 30), ["Asia/Singapore"])  # 09:30 +08
    assert not DAYTIME.is_open(utc(2026, 3, 2, 0, 30), ["Asia/Singapore"])  # 08:30 +08
    assert DAYTIME.next_open(utc(2026, 3, 2, 12, 30), ["Asia/Singapore"]) == utc(2026, 3, 3, 1)


def test_new_york_plus_1_opens_an_hour_earlier_in_utc_after_the_dst_change() -> None:
    zone = ["America/New_York"]  # DST starts 2026-03-08 at 02:00 local
    assert not DAYTIME.is_open(utc(2026, 3, 7, 13, 30), zone)  # 08:30 EST
    assert DAYTIME.is_open(utc(2026, 3, 8, 13, 30), zone)  # 09:30 EDT
    assert DAYTIME.next_open(utc(2026, 3, 7, 2), zone) == utc(2026, 3, 7, 14)  # 09:00 EST
    assert DAYTIME.next_open(utc(2026, 3, 8, 2), zone) == utc(2026, 3, 8, 13)  # 09:00 EDT


def test_a_window_starting_in_the_dst_gap_opens_when_the_clock_jumps() -> None:
    night = CallingWindow.parse("02:30-05:00")
    assert night.next_open(utc(2026, 3, 8, 5), ["America/New_York"]) == utc(2026, 3, 8, 7)


def test_several_zones_give_the_narrowest_common_window() -> None:
    zones = ["Asia/Singapore", "Europe/London"]  # 01-12 UTC and 09-20 UTC in winter
    assert DAYTIME.next_open(utc(2026, 1, 5, 0), zones) == utc(2026, 1, 5, 9)
    assert not DAYTIME.is_open(utc(2026, 1, 5, 12, 30), zones)


def test_zones_without_a_common_window_have_no_opening() -> None:
    assert DAYTIME.next_open(utc(2026, 1, 5), ["Asia/Singapore", "America/New_York"]) is None


def test_days_of_week_are_local_days() -> None:
    weekdays = CallingWindow.parse("09:00-20:00", "mon-fri")
    # Friday 2026-03-06 21:00 in Singapore: next is Monday 09:00 local.
    assert weekdays.next_open(utc(2026, 3, 6, 13), ["Asia/Singapore"]) == utc(2026, 3, 9, 1)


@pytest.mark.parametrize(
    ("span", "days"), [("9-20", "mon"), ("20:00-09:00", "mon"), ("09:00-20:00", "funday")]
)
def test_bad_windows_are_refused(span: str, days: str) -> None:
    with pytest.raises(ConfigError):
        CallingWindow.parse(span, days)
