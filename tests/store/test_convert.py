"""Reading payload values leniently: a bad time or number never costs a summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from ivrkit.store._convert import int64, parse_time


@given(st.text())
def test_parse_time_never_raises(text: str) -> None:
    parsed = parse_time(text)
    assert parsed is None or parsed.utcoffset() == timedelta(0)


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=8)), timezone(-timedelta(hours=5))]
        ),
    )
)
def test_parse_time_reads_iso_times_as_utc(moment: datetime) -> None:
    parsed = parse_time(moment.isoformat())
    assert parsed == moment
    assert parsed is not None and parsed.tzinfo is UTC


def test_parse_time_reads_the_platform_s_spellings() -> None:
    assert parse_time("2026-01-13T08:26:58Z") == datetime(2026, 1, 13, 8, 26, 58, tzinfo=UTC)
    assert parse_time("2024-05-16T04:12:11.217Z") == datetime(
        2024, 5, 16, 4, 12, 11, 217000, tzinfo=UTC
    )
    naive = parse_time("2026-01-13T08:26:58")
    assert naive == datetime(2026, 1, 13, 8, 26, 58, tzinfo=UTC)
    assert naive is not None and naive.tzinfo is UTC
    assert parse_time(None) is None
    assert parse_time(1700000000) is None
    assert parse_time("  ") is None


def test_int64_keeps_what_a_bigint_column_holds() -> None:
    assert int64(-2004) == -2004
    assert int64(2**63 - 1) == 2**63 - 1
    assert int64(2**63) is None
    assert int64(True) is None
    assert int64("12") is None
    assert int64(None) is None
