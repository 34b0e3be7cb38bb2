"""Recorded sessions read back for replay: ended ones only, since a time, the newest N."""

from __future__ import annotations

from datetime import timedelta

from ivrkit.replay._recorded import recorded_sessions
from ivrkit.store import Store
from tests.replay.recording import ASK, HANG_UP, T0, Step, record_call


def test_ended_sessions_oldest_first_with_each_event_once(store: Store) -> None:
    record_call(store, "b", [Step(None, "1", HANG_UP)], start=T0 + timedelta(minutes=1))
    record_call(store, "a", [Step(None, "9", ASK), Step("main#1", "2", HANG_UP)], start=T0)
    record_call(store, "open", [Step(None, "1", ASK)], summary=False)
    found = recorded_sessions(store)
    assert [r.record.session_id for r in found] == ["a", "b"]
    first = found[0]
    assert len(first.exchanges) == 2  # each event stored twice (a retry), read once
    assert [e.answer for e in first.exchanges] == [ASK, HANG_UP]
    assert first.record.digits == ["9", "2"]


def test_since_and_limit(store: Store) -> None:
    for minute in range(4):
        record_call(
            store, f"s{minute}", [Step(None, "1", HANG_UP)], start=T0 + timedelta(minutes=minute)
        )
    since = recorded_sessions(store, since=T0 + timedelta(minutes=2))
    assert [r.record.session_id for r in since] == ["s2", "s3"]
    newest = recorded_sessions(store, limit=3)
    assert [r.record.session_id for r in newest] == ["s1", "s2", "s3"]
    assert (
        recorded_sessions(store, since=T0 + timedelta(minutes=1), limit=1)[0].record.session_id
        == "s3"
    )
