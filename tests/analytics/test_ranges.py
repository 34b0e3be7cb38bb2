"""Time ranges are read one way (:mod:`ivrkit.analytics._ranges`): `ivrkit report` and the
dashboard accept the same texts and mean the same window by them, and refuse the same mistakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import anyio
import httpx
import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit._cli import report as report_command
from ivrkit.analytics._ranges import RangeError, between, bounds, moment, span, window
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import open_store

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
DAY = timedelta(days=1)
MIDNIGHT = datetime(2026, 3, 2, tzinfo=UTC)


def test_spans_count_back_and_take_weeks() -> None:
    assert span("30m") == timedelta(minutes=30)
    assert span("24h") == timedelta(hours=24)
    assert span("7d") == 7 * DAY
    assert span("2w") == 14 * DAY
    with pytest.raises(RangeError, match="not a span"):
        span("a week")


def test_absolute_times_are_utc_unless_they_say_otherwise() -> None:
    assert moment("2026-03-01", now=NOW) == datetime(2026, 3, 1, tzinfo=UTC)
    assert moment("2026-03-01T09:00", now=NOW) == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert moment("2026-03-01T09:00+08:00", now=NOW) == datetime(2026, 3, 1, 1, tzinfo=UTC)
    assert moment("2026-03-01T09:00Z", now=NOW) == datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_an_end_date_includes_its_whole_day() -> None:
    assert moment("2026-03-01", now=NOW, end=True) == datetime(2026, 3, 2, tzinfo=UTC)
    assert moment("today", now=NOW, end=True) == MIDNIGHT + DAY
    assert moment("today", now=NOW) == MIDNIGHT
    assert moment("2026-03-01T09:00", now=NOW, end=True) == datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_a_start_counts_back_from_the_end() -> None:
    assert window(None, None, now=NOW) == window("7d", "now", now=NOW)
    assert window("7d", None, now=NOW).since == NOW - 7 * DAY
    assert window("2w", "2026-03-01", now=NOW).since == MIDNIGHT - 14 * DAY
    assert window("24h", "1d", now=NOW).since == NOW - 2 * DAY
    assert window("today", None, now=NOW).since == MIDNIGHT


def test_against_counts_both_sides_back_from_the_reports_end() -> None:
    found = between("14d..7d", now=NOW)
    assert (found.since, found.until) == (NOW - 14 * DAY, NOW - 7 * DAY)
    found = between("2026-02-01..2026-02-07", now=NOW)
    assert (found.since, found.until) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 2, 8, tzinfo=UTC),
    )
    for text in ("14d", "..7d", "14d..", "7d..14d"):
        with pytest.raises(RangeError):
            between(text, now=NOW)


def test_open_sides_are_none_and_the_rest_as_in_a_window() -> None:
    assert bounds(None, None, now=NOW) == (None, None)
    assert bounds("7d", None, now=NOW) == (NOW - 7 * DAY, None)
    assert bounds(None, "2026-03-01", now=NOW) == (None, MIDNIGHT)
    found = window("2w", "2026-03-01", now=NOW)
    assert bounds("2w", "2026-03-01", now=NOW) == (found.since, found.until)


ACCEPTED = [
    ("7d", None),
    ("2w", None),
    ("30m", None),
    ("today", None),
    ("24h", "1d"),
    ("1w", "now"),
    ("14d", "2026-03-01"),
    ("24h", "today"),
    ("2026-02-01", "2026-02-07"),
    ("2026-02-01T09:00", "2026-02-07T18:00+08:00"),
]
REFUSED = [
    ("yesterday", None),
    ("7x", None),
    ("7d", "2026-13-01"),
    ("2026-03-03", "2026-03-01"),
    ("today", "2026-03-01"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('ranges') / 'ivrkit.db'}"
    open_store(url).close()
    yield url


class FrozenClock(datetime):
    @classmethod
    def now(cls, tz: object = None) -> FrozenClock:  # type: ignore[override]
        return cls.fromtimestamp(NOW.timestamp(), UTC)


def cli_window(db: str, since: str, until: str | None) -> tuple[str, str] | str:
    """The window `ivrkit report --json` reports, or its one-line mistake."""
    args = ["report", "--db", db, "--json", "--since", since]
    result = CliRunner().invoke(app, [*args, *(["--until", until] if until else [])])
    if result.exit_code != 0:
        assert isinstance(result.exception, Exception)
        return "refused"
    found = json.loads(result.output)["window"]
    return found["since"], found["until"]


async def dashboard_windows(db: str, cases: list[tuple[str, str | None]]) -> list[object]:
    """The window the dashboard's overview shows for each case, or "refused"."""
    found: list[object] = []
    with open_store(db) as store:
        asgi = standalone_app(store, DashboardSettings(clock=lambda: NOW))
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for since, until in cases:
                params = {"since": since, **({"until": until} if until else {})}
                answer = await client.get("/dashboard/api/overview", params=params)
                page = await client.get("/dashboard/", params=params)
                if answer.status_code == 400:
                    assert page.status_code == 400 and 'data-testid="page-error"' in page.text
                    found.append("refused")
                else:
                    assert answer.status_code == 200 and page.status_code == 200
                    body = answer.json()
                    found.append((body["since"], body["until"]))
    return found


def test_the_cli_and_the_dashboard_read_the_same_texts_as_the_same_window(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_command, "datetime", FrozenClock)
    cases = ACCEPTED + REFUSED
    cli = [cli_window(db, since, until) for since, until in cases]
    dashboard = anyio.run(dashboard_windows, db, cases)
    assert dict(zip(cases, cli, strict=True)) == dict(zip(cases, dashboard, strict=True))
    assert cli[: len(ACCEPTED)] == [
        (found.since.isoformat(), found.until.isoformat())
        for found in (window(since, until, now=NOW) for since, until in ACCEPTED)
    ]
    assert cli[len(ACCEPTED) :] == ["refused"] * len(REFUSED)


def test_days_and_times_without_an_offset_are_read_in_the_given_zone() -> None:
    from zoneinfo import ZoneInfo

    singapore = ZoneInfo("Asia/Singapore")  # NOW is 23:30 on 2 March there
    today = window("today", None, now=NOW, zone=singapore)
    assert today.since == datetime(2026, 3, 1, 16, tzinfo=UTC)  # midnight of 2 March there
    assert today.until == NOW
    assert moment("today", now=NOW, end=True, zone=singapore) == datetime(
        2026, 3, 2, 16, tzinfo=UTC
    )
    assert moment("2026-03-02T09:00", now=NOW, zone=singapore) == datetime(
        2026, 3, 2, 1, tzinfo=UTC
    )
    assert moment("2026-03-02T09:00Z", now=NOW, zone=singapore) == datetime(
        2026, 3, 2, 9, tzinfo=UTC
    )
    # A day across a daylight-saving change is as long as it is there: 23 hours.
    new_york = ZoneInfo("America/New_York")
    day = window("2026-03-08", "2026-03-08", now=NOW, zone=new_york)
    assert day.until - day.since == timedelta(hours=23)
