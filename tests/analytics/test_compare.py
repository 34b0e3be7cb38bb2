"""Two ranges, or two tree versions, side by side."""

from __future__ import annotations

from datetime import timedelta

from ivrkit.analytics import Analytics, Filters, Window, compare
from ivrkit.store import Store
from ivrkit.trees import load_tree
from tests.analytics.calls import T0, Recorder


def test_yesterday_against_today(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    yesterday = T0 - timedelta(days=1)
    calls.outbound("y1", ["2"], start=yesterday)
    calls.outbound("y2", ["9"], start=yesterday)  # hung up after a wrong key
    calls.outbound("t1", ["1"])
    calls.outbound("t2", ["1"])
    calls.outbound("t3", ["2"])
    analytics = Analytics(store)
    before = analytics.report("simple_ivr", Window(yesterday, yesterday + timedelta(hours=1)))
    after = analytics.report("simple_ivr", Window(T0, T0 + timedelta(hours=1)))
    diff = compare(before, after)
    assert diff.before is before and diff.after is after
    assert (diff.counts["sessions"].before, diff.counts["sessions"].after) == (2, 3)
    assert diff.counts["sessions"].change == 1 and diff.counts["sessions"].relative == 0.5
    assert diff.counts["contained"].relative is None  # nothing to compare with
    assert diff.rates["containment"].after == 2 / 3
    assert diff.rates["abandon"].change == -0.5
    assert diff.outcomes["hung-up"].after == 0 and diff.outcomes["resolved"].after == 2
    main = diff.nodes["main"]
    assert (main.reached.before, main.reached.after) == (2, 3)
    assert (main.dropped.before, main.dropped.after) == (1, 0)
    assert main.drop_rate.change == -0.5
    resolved = diff.nodes["resolved"]
    assert resolved.before is None and resolved.after is not None
    assert resolved.median_seconds is None


def test_two_versions_of_a_tree(store: Store) -> None:
    tree = load_tree("simple_ivr")
    Recorder(store, tree).outbound("v1", ["9"])
    window = Window(T0, T0 + timedelta(hours=1))
    analytics = Analytics(store)
    first = analytics.report("simple_ivr", window, Filters(version=tree.version))
    second = analytics.report("simple_ivr", window, Filters(version="0000000000"))
    diff = compare(first, second)
    assert diff.counts["abandoned"].change == -1
    assert diff.nodes["main"].reached.after == 0
