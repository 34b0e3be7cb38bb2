"""The counters rebuilt from raw rows equal the counters folded as summaries arrived, and both
answer what a raw count answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.synthetic import fill
from sqlalchemy import select

from ivrkit.analytics import Analytics, Filters, Window, rebuild
from ivrkit.store import Store
from ivrkit.store import _schema as schema
from ivrkit.trees import load_tree
from tests.analytics.calls import T0, Recorder


def counter_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every counter row, sorted."""
    with store.transaction() as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(select(table)))
            for table in (schema.path_sessions, schema.path_nodes, schema.path_paths)
        }


def test_synthetic_sessions_fold_as_a_rebuild_does_and_as_raw_rows_count(store: Store) -> None:
    since = T0 - timedelta(days=2)
    filled = fill(store, 400, since=since, until=T0 + timedelta(days=1), seed=7, in_progress=0.1)
    assert filled.sessions == 400 and 0 < filled.in_progress < 80
    # A step when the call is placed and one per answer; a delivery per answer and per summary.
    assert filled.steps > 800 and filled.deliveries == filled.steps - filled.in_progress
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("real-1", ["9", "2"], start=T0 + timedelta(minutes=17))
    folded = counter_rows(store)
    assert folded["ivrkit_path_nodes"]
    result = rebuild(store)
    assert result.sessions == 401 - filled.in_progress
    assert counter_rows(store) == folded

    now = T0 + timedelta(days=1)
    counted = Analytics(store, clock=lambda: now)
    raw = Analytics(store, clock=lambda: now, use_counters=False)
    for window in (
        Window(since, now),
        Window(since + timedelta(hours=5, minutes=21, seconds=13), T0 + timedelta(minutes=37)),
        Window(T0, T0 + timedelta(hours=1)),
    ):
        for filters in (Filters(), Filters(version=load_tree("simple_ivr").version)):
            report = counted.report("simple_ivr", window, filters)
            assert report == raw.report("simple_ivr", window, filters), window
    whole = Analytics(store, clock=lambda: now + timedelta(days=1)).overview(Window(since, now))
    assert whole.sessions == 401
    assert whole.in_progress == 0  # a day after its last event, a session without summary ended
    assert whole.contained + whole.transferred > 300


def test_rebuild_forgets_counters_that_disagree_with_the_rows(store: Store) -> None:
    Recorder(store, load_tree("simple_ivr")).outbound("a", ["1"])
    with store.transaction() as conn:
        conn.execute(schema.path_nodes.update().values(count=99))
    window = Window(T0, T0 + timedelta(hours=1))
    assert Analytics(store).funnel("simple_ivr", window).nodes["main"].reached == 99
    rebuild(store)
    assert Analytics(store).funnel("simple_ivr", window).nodes["main"].reached == 1


def test_synthetic_sessions_are_the_same_for_a_seed(store: Store) -> None:
    since, until = T0, T0 + timedelta(hours=5)
    fill(store, 50, since=since, until=until, seed=1)
    first = counter_rows(store)
    with store.transaction() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())
    fill(store, 50, since=since, until=until, seed=1, deliveries=False)
    assert counter_rows(store) == first
    assert store.deliveries() == []


def test_a_summary_stored_before_the_call_was_noted_is_folded_again(store: Store) -> None:
    """A busy callee: the platform's summary may be stored before Send Callflow returned."""
    calls = Recorder(store, load_tree("simple_ivr"))
    end = T0 + timedelta(seconds=5)
    assert calls.summary("fast", T0, end, "BUSY")
    calls.outbound("fast", [], status=None, answered=False)
    calls.outbound("slow", ["1"])
    folded = counter_rows(store)
    window = Window(T0, T0 + timedelta(hours=1))
    overview = Analytics(store).overview(window, Filters(flow="simple_ivr"))
    assert (overview.sessions, overview.failed) == (2, 1)
    assert overview == Analytics(store, use_counters=False).overview(
        window, Filters(flow="simple_ivr")
    )
    rebuild(store)
    assert counter_rows(store) == folded
