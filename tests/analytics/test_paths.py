"""The top paths through a tree, with their outcome and median time to it."""

from __future__ import annotations

from datetime import timedelta

from ivrkit.analytics import Analytics, PathCount, Window
from ivrkit.store import Store
from ivrkit.trees import load_tree
from tests.analytics.calls import T0, Recorder

HOUR = Window(T0, T0 + timedelta(hours=1))


def test_paths_are_ranked_and_replays_are_listed_once(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    for number in range(3):
        calls.outbound(f"r{number}", ["1"], gap=timedelta(seconds=6))
    calls.outbound("retry", ["9", "9", "1"], gap=timedelta(seconds=6))
    calls.outbound("agent", ["2"], gap=timedelta(seconds=6))
    calls.outbound("busy", [], status="BUSY", answered=False)
    calls.outbound("open", ["9"], status=None)  # in progress: no path yet
    found = Analytics(store, clock=lambda: T0).paths("simple_ivr", HOUR)
    assert [(p.nodes, p.sessions, p.outcome) for p in found] == [
        (("main", "resolved"), 4, "resolved"),
        ((), 1, "busy"),  # ties in the order of their nodes
        (("main", "agent"), 1, "agent"),
    ]
    # Resolved 6 s after the start for three callers, 18 s for the fourth: the median is 6 s.
    resolved = found[0].median_seconds_to_outcome
    assert resolved is not None and abs(resolved - 6) / 6 < 0.1


def test_limit_keeps_the_most_frequent(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("a", ["1"])
    calls.outbound("b", ["1"])
    calls.outbound("c", ["2"])
    found = Analytics(store).paths("simple_ivr", HOUR, limit=1)
    assert found == [
        PathCount(
            nodes=("main", "resolved"),
            sessions=2,
            outcome="resolved",
            median_seconds_to_outcome=found[0].median_seconds_to_outcome,
        )
    ]
