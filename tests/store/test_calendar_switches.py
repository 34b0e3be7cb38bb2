"""The emergency switches of routing calendars on a real SQLite file (and PostgreSQL when
IVRKIT_TEST_POSTGRES_URL is set): on, off, every calendar, and what the engine is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivrkit.calendars import ALL_CALENDARS
from ivrkit.errors import ConfigError
from ivrkit.store import Store
from ivrkit.store._calendars import MAX_REASON, SwitchStore

T0 = datetime(2026, 12, 24, 9, 30, tzinfo=UTC)


def test_a_switch_turned_on_is_closed_until_turned_off(store: Store) -> None:
    switches = SwitchStore(store)
    assert switches.closed() == {}
    switches.set("support", closed=True, now=T0, reason="flooded office")
    closed = switches.closed()
    assert list(closed) == ["support"]
    assert closed["support"].reason == "flooded office"
    assert closed["support"].changed_at == T0
    switches.set("support", closed=False, now=T0 + timedelta(hours=2))
    assert switches.closed() == {}
    [kept] = switches.all()
    assert (kept.calendar, kept.closed, kept.changed_at) == (
        "support",
        False,
        T0 + timedelta(hours=2),
    )


def test_the_switch_for_every_calendar_is_kept_under_star(store: Store) -> None:
    switches = SwitchStore(store)
    switches.set(None, closed=True, now=T0)
    switches.set("sales", closed=True, now=T0)
    assert set(switches.closed()) == {ALL_CALENDARS, "sales"}
    assert [s.calendar for s in switches.all()] == [ALL_CALENDARS, "sales"]
    switches.set(None, closed=False, now=T0)
    assert set(switches.closed()) == {"sales"}  # turning every calendar's off leaves sales on


def test_a_long_reason_is_cut_and_a_bad_name_refused(store: Store) -> None:
    switches = SwitchStore(store)
    kept = switches.set("support", closed=True, now=T0, reason="x " * 1000)
    assert kept.reason is not None and len(kept.reason) == MAX_REASON
    with pytest.raises(ConfigError, match="not a calendar name"):
        switches.set("no such/name", closed=True, now=T0)
