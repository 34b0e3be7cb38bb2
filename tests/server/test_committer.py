"""Group commit keeps its promises: each request waits for its own batch's commit, records are
written in order, a summary after everything before it, and a record the store cannot take in
time is spooled (or quarantined when the store refuses its data) — never dropped silently."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivrkit.errors import StoreError, StoreRefused
from ivrkit.server._committer import Committer, NotKept
from ivrkit.server._spool import Spool
from ivrkit.store import Delivery, SessionUpdate, Store, VcaWrite
from ivrkit.wire import SessionSummaryEvent
from tests.conftest import load_fixture


def event(n: int, session: str = "s-1") -> VcaWrite:
    at = datetime.now(UTC)
    delivery = Delivery(
        channel="vca",
        received_at=at,
        body=f"body {n}",
        headers={},
        http_status=200,
        answer=f'{{"n":{n}}}',
        outcome="answered",
        event_id=f"e-{n}",
        event_type="CALL_ACTION",
        session_id=session,
    )
    update = SessionUpdate(session_id=session, at=at, digits=str(n % 10))
    return VcaWrite(delivery=delivery, update=update)


def summary_of(session: str = "s-1") -> tuple[Delivery, SessionSummaryEvent]:
    summary = SessionSummaryEvent.model_validate(
        load_fixture("vss_ivr_scenario1_bridge_completed.json")
    )
    summary.payload.session_id = session
    delivery = Delivery(
        channel="vss",
        received_at=datetime.now(UTC),
        body=summary.to_json(),
        headers={},
        http_status=200,
        answer="{}",
        outcome="summary",
        event_type="SESSION_SUMMARY",
        session_id=session,
    )
    return delivery, summary


def test_concurrent_commits_share_batches_and_each_waits_for_its_own(store: Store) -> None:
    committer = Committer(store, None)
    committer.start()

    async def many() -> list[Any]:
        return await asyncio.gather(*(committer.commit_vca(event(n)) for n in range(300)))

    try:
        kept = asyncio.run(many())
    finally:
        committer.stop()
    assert all(k.where == "store" and k.fresh for k in kept)
    # Committed before the await returned: nothing is left for a flush to do.
    assert len(store.deliveries("s-1", limit=1000)) == 300
    assert committer.batches < 300, "concurrent requests were not grouped into batches"


def test_events_are_written_in_order_and_a_summary_waits_for_them(store: Store) -> None:
    committer = Committer(store, None)

    async def call() -> None:
        pending = [asyncio.ensure_future(committer.commit_vca(event(n))) for n in range(300)]
        await asyncio.sleep(0)  # every event is handed over before the summary
        await committer.commit_summary(*summary_of())
        stored = store.session("s-1")
        assert stored is not None and len(stored.digits) == 300, "the summary overtook events"
        await asyncio.gather(*pending)

    try:
        asyncio.run(call())
        record = store.session("s-1")
        assert record is not None
        assert record.digits == [str(n % 10) for n in range(300)]
        assert record.status == "COMPLETED"
    finally:
        committer.stop()


def test_a_repeated_event_gets_the_first_delivery_back(store: Store) -> None:
    committer = Committer(store, None)

    async def twice() -> tuple[Any, Any]:
        first = await committer.commit_vca(event(1))
        again = event(1)
        return first, await committer.commit_vca(again)

    try:
        first, again = asyncio.run(twice())
    finally:
        committer.stop()
    assert first.fresh and not again.fresh
    assert again.first.answer == '{"n":1}'
    assert len(store.deliveries("s-1")) == 1


def test_a_refused_batch_is_written_one_by_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(items: object) -> object:
        raise StoreError("batch refused")

    monkeypatch.setattr(store, "record_batch", refuse)
    committer = Committer(store, None)

    async def many() -> list[Any]:
        return await asyncio.gather(*(committer.commit_vca(event(n)) for n in range(5)))

    try:
        kept = asyncio.run(many())
    finally:
        committer.stop()
    assert [k.where for k in kept] == ["store"] * 5
    assert len(store.deliveries("s-1")) == 5


def _take_down(store: Store, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Every write to ``store`` fails until the returned function brings it back."""
    original_batch, original_one = store.record_batch, store.record_vca

    def down(*args: object) -> object:
        raise StoreError("database is down")

    monkeypatch.setattr(store, "record_batch", down)
    monkeypatch.setattr(store, "record_vca", down)

    def back_up() -> None:
        monkeypatch.setattr(store, "record_batch", original_batch)
        monkeypatch.setattr(store, "record_vca", original_one)

    return back_up


def test_a_failing_store_spools_and_the_spool_drains_when_it_recovers(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    back_up = _take_down(store, monkeypatch)
    spool = Spool(tmp_path / "spool.jsonl")
    committer = Committer(store, spool)
    try:
        kept = asyncio.run(committer.commit_vca(event(1)))
        assert kept.where == "spool"
        assert spool.pending() == 1
        back_up()
        assert asyncio.run(committer.commit_vca(event(2))).where == "store"
        assert committer.flush()
    finally:
        committer.stop()
    # The spooled event was replayed with its answer and its session update.
    assert spool.pending() == 0
    stored = {d.event_id: d for d in store.deliveries("s-1")}
    assert set(stored) == {"e-1", "e-2"}
    assert stored["e-1"].answer == '{"n":1}'
    session = store.session("s-1")
    assert session is not None and session.digits == ["1", "2"]


class _SpoolingDuringReplay(Spool):
    """A spool where a request thread spools a record just after the committer thread has
    found it emptied by a replay (the moment a lost wake-up would hide the record)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.during_replay: Any = None

    def pending(self) -> int:
        count = super().pending()
        in_replay = threading.current_thread().name == "ivrkit-committer"
        if count == 0 and in_replay and self.during_replay is not None:
            spool_now, self.during_replay = self.during_replay, None
            request = threading.Thread(target=spool_now)
            request.start()
            request.join(0.3)  # it finishes here unless the committer holds it off
        return count


def test_a_record_spooled_while_the_spool_is_replayed_reaches_the_store(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivrkit.server._committer import _Item

    back_up = _take_down(store, monkeypatch)
    spool = _SpoolingDuringReplay(tmp_path / "spool.jsonl")
    committer = Committer(store, spool)
    late = event(9, "s-9")
    try:
        assert asyncio.run(committer.commit_vca(event(1))).where == "spool"
        # A request whose commit timed out spools its record as the replay finds the spool empty.
        spool.during_replay = lambda: committer._keep_elsewhere(
            _Item(write=late, delivery=late.delivery), None
        )
        back_up()
        assert asyncio.run(committer.commit_vca(event(2))).where == "store"
        deadline = time.monotonic() + 5
        while (spool.pending() or store.session("s-9") is None) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        committer.stop()
    assert spool.during_replay is None, "the replay never counted the spool"
    assert spool.pending() == 0, "a spooled record was left behind"
    assert {d.event_id for d in store.deliveries("s-9")} == {"e-9"}


def test_a_record_the_store_refuses_is_quarantined_not_retried(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> object:
        raise StoreRefused("value out of range")

    monkeypatch.setattr(store, "record_batch", refuse)
    monkeypatch.setattr(store, "record_summary", refuse)
    spool = Spool(tmp_path / "ivrkit.spool.jsonl")
    committer = Committer(store, spool)
    try:
        kept = asyncio.run(committer.commit_summary(*summary_of()))
    finally:
        committer.stop()
    assert kept.where == "quarantine"
    assert spool.pending() == 0 and spool.quarantined() == 1
    assert spool.quarantine_path.name == "ivrkit.quarantine.jsonl"
    assert "value out of range" in spool.quarantine_path.read_text()


def test_nothing_answers_kept_when_neither_store_nor_spool_can_keep_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object) -> object:
        raise StoreError("database is down")

    monkeypatch.setattr(store, "record_batch", down)
    monkeypatch.setattr(store, "record_vca", down)
    (tmp_path / "spool-is-a-folder").mkdir()
    committer = Committer(store, Spool(tmp_path / "spool-is-a-folder"))
    try:
        with pytest.raises(NotKept):
            asyncio.run(committer.commit_vca(event(1)))
        # The committer thread lives on for the next record.
        monkeypatch.undo()
        assert asyncio.run(committer.commit_vca(event(2))).where == "store"
    finally:
        committer.stop()


def test_a_hung_store_costs_a_request_the_commit_timeout_then_spools(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    original = store.record_batch

    def hung(items: Any) -> Any:
        release.wait(10)
        return original(items)

    monkeypatch.setattr(store, "record_batch", hung)
    spool = Spool(tmp_path / "spool.jsonl")
    committer = Committer(store, spool, commit_timeout=0.2)
    try:
        assert asyncio.run(committer.commit_vca(event(1))).where == "spool"
        deadline = time.monotonic() + 10  # stalled once the hung commit is older than 0.2 s
        while not committer.stalled and time.monotonic() < deadline:
            time.sleep(0.01)
        assert committer.stalled
        assert committer.health()["committer"] == "stalled"
        # While the store hangs, later records do not queue behind it.
        assert asyncio.run(committer.commit_vca(event(2))).where == "spool"
        release.set()
        deadline = time.monotonic() + 10
        while committer.stalled and time.monotonic() < deadline:
            time.sleep(0.01)
        assert asyncio.run(committer.commit_vca(event(3))).where == "store"
        assert committer.flush()
    finally:
        release.set()
        committer.stop()
    assert {d.event_id for d in store.deliveries("s-1")} == {"e-1", "e-2", "e-3"}
    assert len(store.deliveries("s-1")) == 3, "a spooled event that was also committed is kept once"


def test_the_committer_survives_a_summary_whose_caller_is_gone(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request may give up (and its event loop end) before the commit: the committer thread
    must not die telling it."""
    original = store.record_batch

    def slow(*args: Any) -> Any:
        time.sleep(0.3)
        return original(*args)

    monkeypatch.setattr(store, "record_batch", slow)
    committer = Committer(store, None)
    try:
        with pytest.raises(TimeoutError):
            asyncio.run(asyncio.wait_for(committer.commit_summary(*summary_of()), 0.05))
        time.sleep(0.5)
        asyncio.run(committer.commit_vca(event(1)))
        assert len(store.deliveries("s-1")) == 2  # the summary's delivery and the event
    finally:
        committer.stop()


def test_a_record_after_stop_is_written_at_once(store: Store) -> None:
    committer = Committer(store, None)
    asyncio.run(committer.commit_vca(event(1)))
    committer.stop()
    kept = asyncio.run(committer.commit_vca(event(2)))  # a slow request outliving the shutdown
    assert kept.where == "store"
    assert [d.event_id for d in store.deliveries("s-1")] == ["e-1", "e-2"]


def test_starting_from_several_threads_starts_one_committer(store: Store) -> None:
    committer = Committer(store, None)
    starters = [threading.Thread(target=committer.start) for _ in range(8)]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    asyncio.run(committer.commit_vca(event(1)))
    committer.stop()
    assert len(store.deliveries("s-1")) == 1
    assert threading.active_count() < 8 + 2


def test_replaying_the_spool_quarantines_what_the_store_refuses(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spooled record the store refuses for its data once stayed in the spool for ever and
    failed at every start; it moves to the quarantine, and the rest of the spool flows."""
    from ivrkit.server._store_writes import replay_spool

    spool = Spool(tmp_path / "ivrkit.spool.jsonl")
    poisoned, fine = event(1, "poisoned"), event(2, "fine")
    spool.append_delivery(poisoned.delivery, poisoned)
    spool.append_delivery(fine.delivery, fine)
    original = store.record_vca

    def refuse_poisoned(delivery: Delivery, *args: Any) -> Any:
        if delivery.session_id == "poisoned":
            raise StoreRefused("value out of range")
        return original(delivery, *args)

    monkeypatch.setattr(store, "record_vca", refuse_poisoned)
    assert replay_spool(store, spool) == 1
    assert spool.pending() == 0
    assert spool.quarantined() == 1
    assert [d.event_id for d in store.deliveries("fine")] == ["e-2"]
    assert replay_spool(store, spool) == 0  # nothing is retried in a loop


class CountingStore:
    """The real store, counting how often variables are read (one query per batch)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def variables_of(self, session_ids: Any) -> dict[str, dict[str, str]]:
        self.queries += 1
        return self.store.variables_of(session_ids)


def test_variables_of_many_sessions_are_read_together_as_committed(store: Store) -> None:
    for n in range(50):
        store.set_variables(f"s-{n}", {"topic": f"t{n}", "language": "en"})
    counting = CountingStore(store)
    committer = Committer(counting, None)  # type: ignore[arg-type]
    committer.start()

    async def many() -> list[dict[str, str]]:
        reads = [committer.read_variables(f"s-{n}") for n in range(50)]
        return await asyncio.gather(*reads, committer.read_variables("nobody"))

    try:
        found = asyncio.run(many())
    finally:
        committer.stop()
    assert found[:50] == [{"topic": f"t{n}", "language": "en"} for n in range(50)]
    assert found[50] == {}
    assert counting.queries < 50, "each session's variables were read in a query of its own"


def test_variables_are_read_apart_when_the_committer_is_stopped(store: Store) -> None:
    store.set_variables("s-1", {"topic": "billing"})
    committer = Committer(store, None)
    committer.start()
    committer.stop()
    assert asyncio.run(committer.read_variables("s-1")) == {"topic": "billing"}


def test_a_failing_variables_read_answers_without_them(store: Store) -> None:
    class Broken(CountingStore):
        def variables_of(self, session_ids: Any) -> dict[str, dict[str, str]]:
            raise StoreError("the disk is gone")

    committer = Committer(Broken(store), None)  # type: ignore[arg-type]
    committer.start()
    try:
        assert asyncio.run(committer.read_variables("s-1")) == {}
    finally:
        committer.stop()


def test_variables_behind_a_hung_commit_are_read_apart_after_the_timeout(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set_variables("s-2", {"topic": "billing"})
    release = threading.Event()
    original = store.record_batch

    def hung(items: Any) -> Any:
        release.wait(10)
        return original(items)

    monkeypatch.setattr(store, "record_batch", hung)
    committer = Committer(store, None, commit_timeout=0.3)

    async def read_behind_a_commit() -> tuple[dict[str, str], float]:
        writing = asyncio.ensure_future(committer.commit_vca(event(1)))
        await asyncio.sleep(0.05)  # the committer thread is inside the hung commit
        began = time.monotonic()
        variables = await committer.read_variables("s-2")
        elapsed = time.monotonic() - began
        release.set()
        await asyncio.gather(writing, return_exceptions=True)  # no spool: NotKept, as it should
        return variables, elapsed

    try:
        variables, elapsed = asyncio.run(read_behind_a_commit())
    finally:
        release.set()
        committer.stop()
    assert variables == {"topic": "billing"}
    assert 0.2 < elapsed < 5, "the read neither waited for its timeout nor came back after it"


def test_a_spooled_answer_keeps_its_step_and_latency_for_the_replay(
    store: Store, tmp_path: Path
) -> None:
    """Path analytics must not lose the step of an answer that went through the spool."""
    from dataclasses import replace

    from ivrkit.server._store_writes import replay_spool

    spool = Spool(tmp_path / "ivrkit.spool.jsonl")
    write = event(3, "spooled")
    assert write.update is not None
    stepped = VcaWrite(
        delivery=replace(write.delivery, latency_ms=2.5),
        update=replace(
            write.update,
            flow="simple_ivr",
            version="abcdef0123",
            heard="main",
            replay=1,
            route="key",
            route_value="3",
            led_to="agent",
            passed="agent",
        ),
    )
    spool.append_delivery(stepped.delivery, stepped)
    assert replay_spool(store, spool) == 1
    assert [d.latency_ms for d in store.deliveries("spooled")] == [2.5]
    from sqlalchemy import select

    from ivrkit.store import _schema as schema

    with store.transaction() as conn:
        rows = conn.execute(select(schema.path_steps)).mappings().all()
    assert [(r["heard"], r["replay"], r["route"], r["led_to"], r["version"]) for r in rows] == [
        ("main", 1, "key", "agent", "abcdef0123")
    ]
