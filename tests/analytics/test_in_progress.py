"""Calls in progress, and sessions whose summary never comes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ivrkit.analytics import Analytics, Window
from ivrkit.store import Store
from ivrkit.store import _schema as schema
from ivrkit.trees import load_tree
from tests.analytics.calls import T0, Recorder

HOUR = Window(T0, T0 + timedelta(hours=1))


def _last_write(store: Store) -> datetime:
    """The store stamps each write with its own clock: "now" is read from what it wrote."""
    with store.transaction() as conn:
        written: datetime = conn.execute(
            select(func.max(schema.sessions.c.updated_at))
        ).scalar_one()
    return written


def test_a_call_in_progress_counts_until_its_summary_then_folds_once(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    end = calls.outbound("live", ["9"], status=None)
    calls.outbound("done", ["1"])
    written = _last_write(store)
    live = Analytics(store, clock=lambda: written)
    overview = live.overview(HOUR)
    assert (overview.sessions, overview.in_progress, overview.contained) == (2, 1, 1)
    assert live.in_progress() == 1
    funnel = live.funnel("simple_ivr", HOUR)
    assert funnel.nodes["main"].reached == 2 and funnel.nodes["main"].invalid == 1
    assert funnel.nodes["main"].dropped == 0  # not over yet

    assert calls.summary("live", T0, end, "COMPLETED")
    assert not calls.summary("live", T0, end, "COMPLETED")  # a repeated summary is not folded
    after = live.overview(HOUR)
    assert (after.in_progress, after.abandoned) == (0, 1)
    assert live.in_progress() == 0
    assert live.funnel("simple_ivr", HOUR).nodes["main"].dropped == 1
    assert after == Analytics(store, clock=lambda: written, use_counters=False).overview(HOUR)


def test_a_session_whose_summary_never_comes_ends_after_stale_after(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("lost", ["9"], status=None)
    calls.outbound("lost-agent", ["2"], status=None)
    written = _last_write(store)
    soon = Analytics(store, clock=lambda: written + timedelta(minutes=59))
    assert soon.overview(HOUR).in_progress == 2
    later = Analytics(store, clock=lambda: written + timedelta(minutes=61))
    overview = later.overview(HOUR)
    assert (overview.in_progress, overview.abandoned, overview.transferred) == (0, 1, 1)
    assert overview.outcomes == {"agent": 1, "hung-up": 1}
    assert later.in_progress() == 0
    assert later.funnel("simple_ivr", HOUR).nodes["main"].dropped == 1


def test_the_steps_of_many_sessions_are_read_in_one_round_trip_on_postgresql(
    store: Store,
) -> None:
    from sqlalchemy import event

    from ivrkit.analytics._folding import steps_of

    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("kept", ["9"], status=None)
    ids = [f"absent-{n}" for n in range(1_200)] + ["kept"]
    sent: list[str] = []
    with store.reading() as conn:
        event.listen(conn, "before_cursor_execute", lambda *args: sent.append(args[2]))
        found = steps_of(conn, ids)
    assert list(found) == ["kept"] and len(found["kept"]) == 2  # placed, then the key 9
    # SQLite: an IN list per 500 sessions (no round trip there); PostgreSQL: one array.
    assert len(sent) == (1 if store.url.startswith("postgresql") else 3)
