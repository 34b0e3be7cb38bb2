"""Replaying recorded callers against the very tree that answered them changes nothing: the
replay is faithful to what the callers did (the benchmark's recordings: a seeded mix of keys,
wrong keys, silences, hang-ups, transfers, busy and unanswered calls)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import delete

from ivrkit.replay import replay_store
from ivrkit.replay._behaviour import behaviour_of
from ivrkit.replay._platform import run_replay
from ivrkit.replay._recorded import recorded_sessions
from ivrkit.store import Store, open_store
from ivrkit.store import _schema as schema
from ivrkit.trees import load_tree

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench_replay() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        import replay

        yield replay
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
    try:
        yield opened
    finally:
        opened.close()


def test_the_same_tree_ends_every_call_the_same_way(bench_replay: ModuleType, store: Store) -> None:
    bench_replay.fill_store(store, load_tree(), 200)
    callers = [behaviour_of(recorded) for recorded in recorded_sessions(store)]
    assert len(callers) == 200
    assert len({caller.entries for caller in callers}) > 30  # the behaviours differ
    replayed = run_replay(load_tree(), callers)
    assert [r.outcome for r in replayed] == [c.outcome for c in callers]
    report = replay_store(store, load_tree())
    assert (report.sessions, report.changed) == (200, 0)


def test_the_changed_tree_changes_exactly_the_calls_that_reached_key_2(
    bench_replay: ModuleType, store: Store
) -> None:
    bench_replay.fill_store(store, load_tree(), 200)
    callers = {c.session_id: c for c in map(behaviour_of, recorded_sessions(store))}
    report = replay_store(store, bench_replay.changed_tree())
    reached_agent = {sid for sid, caller in callers.items() if caller.outcome == "agent"}
    assert {change.session_id for change in report.changes} == reached_agent
    assert {(change.old, change.new) for change in report.changes} == {("agent", "resolved")}


def test_sessions_without_path_steps_are_read_from_their_bodies_to_the_same_report(
    bench_replay: ModuleType, store: Store
) -> None:
    bench_replay.fill_store(store, load_tree(), 200)
    stepped = [behaviour_of(recorded) for recorded in recorded_sessions(store)]
    before = replay_store(store, bench_replay.changed_tree()).to_json()
    with store.transaction() as conn:  # half the sessions as recorded before path steps
        steps = schema.path_steps
        conn.execute(delete(steps).where(steps.c.session_id.like("%0_")))
    half = recorded_sessions(store)
    assert {bool(r.steps) for r in half if r.exchanges or r.steps} == {True, False}
    assert replay_store(store, bench_replay.changed_tree()).to_json() == before
    bench_replay.without_path_steps(store)
    recorded = recorded_sessions(store)
    assert not any(r.steps for r in recorded)
    assert all(r.exchanges for r in recorded if r.record.status == "COMPLETED")
    from_bodies = [behaviour_of(r) for r in recorded]
    assert [(c.entries, c.path, c.outcome) for c in from_bodies] == [
        (c.entries, c.path, c.outcome) for c in stepped
    ]
    assert replay_store(store, bench_replay.changed_tree()).to_json() == before
