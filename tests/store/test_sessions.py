"""Listing sessions and deliveries, outbound calls, and session variables."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

import ivrkit.store._sql as store_sql
from ivrkit.store import IN_PROGRESS, Store
from tests.store.helpers import (
    T0,
    later,
    plain_delivery,
    summary_delivery,
    summary_event,
    vca_delivery,
    vca_event,
    vca_update,
)


def _open_session(store: Store, session_id: str, at: datetime, *digits: str) -> None:
    for n, pressed in enumerate(digits or (None,)):
        ev = vca_event(
            event_id=f"{session_id}-{n}", session_id=session_id, digits=pressed, timestamp=at
        )
        store.record_vca(vca_delivery(ev), vca_update(ev))


def test_sessions_are_listed_newest_first_with_their_digits(store: Store) -> None:
    _open_session(store, "middle", later(60), "1", "2")
    _open_session(store, "oldest", later(0), "9")
    _open_session(store, "newest", later(120))
    summary = summary_event("vss_ivr_scenario1_bridge_completed.json")  # starts at T0 - 0 s
    store.record_summary(summary_delivery(summary), summary)

    listed = store.sessions()
    assert [s.session_id for s in listed] == [
        "newest",
        "middle",
        summary.payload.session_id,  # same start as "oldest", seen after it
        "oldest",
    ]
    assert [s.digits for s in listed] == [[], ["1", "2"], [], ["9"]]
    assert [s.duration_seconds for s in listed] == [None, None, 35.0, None]
    assert [s.status for s in listed] == [IN_PROGRESS, IN_PROGRESS, "COMPLETED", IN_PROGRESS]
    assert [s.session_id for s in store.sessions(limit=2)] == ["newest", "middle"]
    assert store.sessions(limit=0) == []


def test_listing_sessions_costs_the_same_few_queries_however_many_there_are(
    store: Store,
) -> None:
    for n in range(30):
        _open_session(store, f"s{n}", later(n), str(n), "#")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = store._engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        listed = store.sessions(limit=100)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(listed) == 30
    assert listed[0].digits == ["29", "#"]
    # Whether the projections trail the log, the sessions, their digits.
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3


def test_sessions_of_an_empty_store(store: Store) -> None:
    assert store.sessions() == []
    assert store.deliveries() == []


def test_an_outbound_call_is_a_session_before_any_event(store: Store) -> None:
    store.record_outbound_call(
        "out-1",
        at=later(-5),
        customer="+6591178965",
        sub_account_id="8x8_test",
        flow="simple_ivr",
        request_id="req-123",
        client_request_id="client-9",
    )
    (session,) = store.sessions()
    assert session.session_id == "out-1"
    assert session.status == IN_PROGRESS
    assert session.direction == "OUTBOUND"
    assert session.customer == "+6591178965"
    assert session.flow == "simple_ivr"
    assert session.request_id == "req-123"
    assert session.client_request_id == "client-9"
    assert session.started_at == later(-5)

    ev = vca_event(session_id="out-1", timestamp=later(10))
    store.record_vca(vca_delivery(ev), vca_update(ev, flow="simple_ivr", node="main"))
    session_after = store.session("out-1")
    assert session_after is not None
    assert session_after.started_at == later(-5)
    assert session_after.request_id == "req-123"
    assert session_after.customer == "+6591178965"
    assert session_after.digits == ["1"]


def test_an_outbound_call_recorded_after_its_first_event_keeps_both(store: Store) -> None:
    ev = vca_event(session_id="out-2", timestamp=later(10))
    store.record_vca(vca_delivery(ev), vca_update(ev))
    store.record_outbound_call(
        "out-2", at=later(1), customer="+1555", sub_account_id=None, flow=None, request_id="r"
    )
    session = store.session("out-2")
    assert session is not None
    assert session.started_at == later(1)
    assert session.request_id == "r"
    assert session.customer == "+1555"
    assert session.sub_account_id == "account_x"
    assert session.flow == "simple_ivr"


def test_deliveries_are_the_newest_oldest_first(store: Store) -> None:
    ids = [store.record_delivery(plain_delivery(note=str(n), session_id="s")).id for n in range(5)]
    store.record_delivery(plain_delivery(session_id="other"))

    assert [d.id for d in store.deliveries("s")] == ids
    assert [d.note for d in store.deliveries("s", limit=2)] == ["3", "4"]
    assert len(store.deliveries()) == 6
    assert [d.session_id for d in store.deliveries(limit=1)] == ["other"]


def test_a_delivery_comes_back_as_it_was_given(store: Store, backend: str) -> None:
    given = plain_delivery(
        "bad-json",
        channel="vca",
        received_at=datetime(2026, 1, 13, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))),
        body='{"broken": \ufffd "caf\u00e9" \x00',
        headers={"content-type": "application/json", "x-forwarded-for": "10.0.0.1"},
        http_status=400,
        note="body is not valid JSON",
        event_id="e1",
        event_type="CALL_ACTION",
    )
    stored = store.record_delivery(given)
    (read,) = store.deliveries()

    # PostgreSQL cannot hold NUL in text; it becomes the replacement character there.
    nul = "\x00" if backend == "sqlite" else "\ufffd"
    assert stored.id is not None
    assert read == replace(stored, body='{"broken": \ufffd "caf\u00e9" ' + nul)
    assert read.received_at == datetime(2026, 1, 13, 8, 0, 0, 123456, tzinfo=UTC)
    assert read.received_at.utcoffset() == timedelta(0)
    assert read.answer is None


def test_variables_are_upserted_per_session(store: Store) -> None:
    assert store.variables("s1") == {}
    store.set_variables("s1", {"account": "1234", "lang": "en"})
    store.set_variables("s1", {"lang": "fr", "pin": "0000"})
    store.set_variables("s2", {"account": "999"})
    store.set_variables("s2", {})

    assert store.variables("s1") == {"account": "1234", "lang": "fr", "pin": "0000"}
    assert store.variables("s2") == {"account": "999"}


def test_all_times_come_back_aware_in_utc(store: Store) -> None:
    summary = summary_event("vss_nm_success_bridge.json")
    store.record_summary(summary_delivery(summary), summary)
    _open_session(store, "x", T0)
    for session in store.sessions():
        assert session.started_at is not None and session.started_at.utcoffset() == timedelta(0)
    record = store.summary(summary.payload.session_id)
    assert record is not None
    assert record.received_at.utcoffset() == timedelta(0)
    assert all(leg.initiated and leg.initiated.utcoffset() == timedelta(0) for leg in record.legs)


def test_digits_of_a_long_listing_are_fetched_in_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sql, "IN_CHUNK", 2)
    for n in range(5):
        _open_session(store, f"s{n}", later(n), str(n), f"{n}{n}")

    listed = store.sessions()
    assert [s.session_id for s in listed] == ["s4", "s3", "s2", "s1", "s0"]
    assert [s.digits for s in listed] == [[str(n), f"{n}{n}"] for n in (4, 3, 2, 1, 0)]


def test_a_session_keeps_the_last_outcome_label_its_answers_reached(store: Store) -> None:
    first = vca_event(event_id="o-1", session_id="labelled", digits="2", timestamp=later(0))
    store.record_vca(vca_delivery(first), replace(vca_update(first), outcome="agent"))
    assert store.sessions()[0].outcome_label == "agent"
    second = vca_event(event_id="o-2", session_id="labelled", digits=None, timestamp=later(5))
    store.record_vca(vca_delivery(second), vca_update(second))  # an unlabelled node after it
    (row,) = store.sessions()
    assert row.outcome_label == "agent"
    assert row.outcome is None  # in progress: no outcome yet, whatever label it reached
    third = vca_event(event_id="o-3", session_id="labelled", digits="1", timestamp=later(9))
    store.record_vca(vca_delivery(third), replace(vca_update(third), outcome="resolved"))
    assert store.sessions()[0].outcome_label == "resolved"


def test_a_session_without_a_label_gets_its_outcome_from_the_summary(store: Store) -> None:
    summary = summary_event("vss_ivr_scenario1_bridge_completed.json", sessionStatus="BUSY")
    store.record_summary(summary_delivery(summary), summary)
    (row,) = store.sessions()
    assert row.outcome_label is None
    assert row.outcome == "busy"
