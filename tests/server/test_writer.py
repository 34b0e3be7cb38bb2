"""The server's group commit keeps its promises: order, summaries after what came before
them, a failing batch written one by one, and nothing dropped when the store refuses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivrkit.server.spool import Spool
from ivrkit.server.writer import EventWriter
from ivrkit.store import Delivery, SessionUpdate, Store, open_store
from ivrkit.wire import SessionSummaryEvent
from tests.conftest import load_fixture


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    yield opened
    opened.close()


def event(n: int, session: str = "s-1") -> tuple[Delivery, SessionUpdate]:
    at = datetime.now(UTC)
    delivery = Delivery(
        "vca", at, f"body {n}", {}, 200, "{}", "answered", None, f"e-{n}", "CALL_ACTION", session
    )
    return delivery, SessionUpdate(session_id=session, at=at, digits=str(n % 10))


def test_events_are_written_in_order_and_a_summary_waits_for_them(store: Store) -> None:
    writer = EventWriter(store, None)
    writer.start()
    try:
        for n in range(300):
            writer.record_vca(*event(n), {})
        summary = SessionSummaryEvent.model_validate(
            load_fixture("vss_ivr_scenario1_bridge_completed.json")
        )
        summary.payload.session_id = "s-1"
        done = Delivery(
            "vss",
            datetime.now(UTC),
            "{}",
            {},
            200,
            "{}",
            "summary",
            None,
            None,
            "SESSION_SUMMARY",
            "s-1",
        )
        asyncio.run(writer.record_summary(done, summary))
        record = store.session("s-1")
        assert record is not None
        assert record.digits == [str(n % 10) for n in range(300)]
        assert record.status == "COMPLETED"
    finally:
        writer.stop()


def test_a_refused_batch_is_written_one_by_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(items: object) -> int:
        raise RuntimeError("batch refused")

    monkeypatch.setattr(store, "record_vca_batch", refuse)
    writer = EventWriter(store, None)
    for n in range(5):
        writer.record_vca(*event(n), {})
    assert writer.flush()
    writer.stop()
    assert len(store.deliveries("s-1")) == 5


def test_an_event_the_store_refuses_is_spooled(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> object:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "record_vca_batch", refuse)
    monkeypatch.setattr(store, "record_vca", refuse)
    spool = Spool(tmp_path / "spool.jsonl")
    writer = EventWriter(store, spool)
    writer.record_vca(*event(1), {})
    assert writer.flush()
    writer.stop()
    assert spool.pending() == 1


def test_the_writer_survives_a_spool_that_cannot_take_a_refused_event(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record neither the store nor the spool takes is lost, but the writer thread lives on:
    the next summary still gets its answer, and flush still settles."""

    def refuse(*args: object) -> object:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "record_vca_batch", refuse)
    monkeypatch.setattr(store, "record_vca", refuse)
    (tmp_path / "spool-is-a-folder").mkdir()
    writer = EventWriter(store, Spool(tmp_path / "spool-is-a-folder"))
    try:
        writer.record_vca(*event(1), {})
        assert writer.flush(timeout=5), "the writer thread died"
        summary = SessionSummaryEvent.model_validate(
            load_fixture("vss_ivr_scenario1_bridge_completed.json")
        )
        done = Delivery(
            "vss", datetime.now(UTC), "{}", {}, 200, "{}", "summary", None, None, None, None
        )
        asyncio.run(asyncio.wait_for(writer.record_summary(done, summary), 5))
        assert store.summary(summary.payload.session_id) is not None
    finally:
        writer.stop()


def test_the_writer_survives_a_summary_whose_caller_is_gone(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A summary's request may give up (and its event loop end) before the commit: the writer
    thread must not die telling it."""
    original = store.record_summary

    def slow(*args: Any) -> bool:
        time.sleep(0.3)
        return original(*args)

    monkeypatch.setattr(store, "record_summary", slow)
    summary = SessionSummaryEvent.model_validate(
        load_fixture("vss_ivr_scenario1_bridge_completed.json")
    )
    done = Delivery(
        "vss", datetime.now(UTC), "{}", {}, 200, "{}", "summary", None, None, None, None
    )
    writer = EventWriter(store, None)
    try:
        with pytest.raises(TimeoutError):
            asyncio.run(asyncio.wait_for(writer.record_summary(done, summary), 0.05))
        time.sleep(0.5)
        writer.record_vca(*event(1), {})
        assert writer.flush(timeout=5), "the writer thread died"
        assert len(store.deliveries("s-1")) == 1
    finally:
        writer.stop()


def test_a_record_after_stop_is_written_at_once(store: Store) -> None:
    writer = EventWriter(store, None)
    writer.record_vca(*event(1), {})
    writer.stop()
    writer.record_vca(*event(2), {})  # a slow request outliving the shutdown
    assert [d.event_id for d in store.deliveries("s-1")] == ["e-1", "e-2"]


def test_starting_from_several_threads_starts_one_writer(store: Store) -> None:
    import threading

    writer = EventWriter(store, None)
    starters = [threading.Thread(target=writer.start) for _ in range(8)]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    writer.record_vca(*event(1), {})
    assert writer.flush()
    writer.stop()
    assert len(store.deliveries("s-1")) == 1
