"""Sessions by category and outcome, and the series over time."""

from __future__ import annotations

from datetime import timedelta

from ivrkit.analytics import Analytics, Filters, Window
from ivrkit.store import Store
from ivrkit.trees import load_tree, parse_tree
from tests.analytics.calls import T0, Recorder

HOUR = timedelta(hours=1)


def test_each_ending_falls_in_one_category(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("resolved", ["1"])
    calls.outbound("agent", ["2"])
    calls.outbound("hung-up", ["9"])  # pressed a wrong key, then hung up
    calls.outbound("silent", [])  # answered, never pressed anything
    calls.outbound("busy", [], status="BUSY", answered=False)
    calls.outbound("unanswered", [], status="NO_ANSWER", answered=False)
    calls.outbound("open", ["9"], status=None)
    overview = Analytics(store, clock=lambda: T0 + HOUR / 2).overview(Window(T0, T0 + HOUR))
    assert (overview.sessions, overview.contained, overview.transferred) == (7, 1, 1)
    assert (overview.abandoned, overview.failed, overview.in_progress) == (2, 2, 1)
    assert overview.outcomes == {
        "agent": 1,
        "busy": 1,
        "hung-up": 1,
        "no-answer": 1,
        "no-input": 1,
        "resolved": 1,
    }
    assert overview.containment_rate == 1 / 6
    assert overview.abandon_rate == 2 / 6


def test_a_label_on_a_transfer_node_is_a_transfer_whatever_its_word(store: Store) -> None:
    tree = parse_tree(
        """
name: sales
numbers: {caller_id: "6512345678", desk: "6599990000"}
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 for sales, 2 to hear our hours.
      routes: {"1": desk, "2": hours}
  desk:
    outcome: sales-desk
    transfer: {to: "{desk}"}
  hours:
    outcome: informed
    say: {text: We are open nine to five.}
"""
    )
    calls = Recorder(store, tree)
    calls.outbound("to-desk", ["1"])
    calls.outbound("informed", ["2"])
    overview = Analytics(store).overview(Window(T0, T0 + HOUR))
    assert (overview.transferred, overview.contained) == (1, 1)
    assert overview.outcomes == {"informed": 1, "sales-desk": 1}


def test_the_series_is_hourly_up_to_two_days_then_daily(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("a", ["1"], start=T0 + timedelta(minutes=5))
    calls.outbound("b", ["2"], start=T0 + timedelta(hours=2, minutes=59))
    calls.outbound("c", ["1"], start=T0 + timedelta(days=1, hours=3))
    analytics = Analytics(store)
    hourly = analytics.overview(Window(T0, T0 + 4 * HOUR))
    assert [(b.start - T0, b.sessions) for b in hourly.series] == [
        (timedelta(0), 1),
        (HOUR, 0),
        (2 * HOUR, 1),
        (3 * HOUR, 0),
    ]
    assert hourly.series[2].transferred == 1
    day = T0.replace(hour=0)
    daily = analytics.overview(Window(day, day + timedelta(days=3)))
    assert [(b.start - day, b.sessions) for b in daily.series] == [
        (timedelta(0), 2),
        (timedelta(days=1), 1),
        (timedelta(days=2), 0),
    ]


def test_flows_lists_trees_with_sessions_ended_or_not(store: Store) -> None:
    Recorder(store, load_tree("simple_ivr")).outbound("a", ["1"])
    other = parse_tree(
        """
name: other
numbers: {caller_id: "6512345678"}
entry: main
nodes:
  main:
    menu: {prompt: Press 1., routes: {"1": bye}}
  bye: {hangup: {}}
"""
    )
    Recorder(store, other).outbound("b", ["1"], status=None)
    analytics = Analytics(store, clock=lambda: T0)
    assert analytics.flows() == ["other", "simple_ivr"]
    assert analytics.overview(Window(T0, T0 + HOUR), Filters(flow="other")).in_progress == 1
