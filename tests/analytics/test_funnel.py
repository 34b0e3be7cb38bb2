"""Per node: reached, keys, invalid entries, silences, retries, drop-off, next, time spent."""

from __future__ import annotations

from datetime import timedelta

from ivrkit.analytics import Analytics, Window
from ivrkit.store import Store
from ivrkit.trees import load_tree, parse_tree
from tests.analytics.calls import T0, Recorder

DAY = Window(T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=1))

TWO_MENUS = """
name: bank
numbers: {caller_id: "6512345678", agent: "6599990000"}
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 for cards, 0 for an agent.
      routes: {"1": cards, "0": agent}
      max_retries: 1
      on_max_retries: bye
  cards:
    menu:
      prompt: Press 1 to block a card.
      routes: {"1": blocked}
      on_no_input: main
  blocked:
    outcome: blocked
    hangup: {say: Your card is blocked.}
  bye:
    hangup: {say: Goodbye.}
  agent:
    outcome: agent
    transfer: {to: "{agent}"}
"""


def test_the_simple_ivr_funnel(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("a", ["1"], gap=timedelta(seconds=4))
    calls.outbound("b", ["9", "1"], gap=timedelta(seconds=4))
    calls.outbound("c", ["", "2"], gap=timedelta(seconds=4))
    calls.outbound("d", ["9"], gap=timedelta(seconds=4))  # then hangs up at the menu again
    nodes = Analytics(store).funnel("simple_ivr", DAY).nodes
    main = nodes["main"]
    assert (main.reached, main.visits) == (4, 7)
    assert main.keys == {"1": 2, "2": 1}
    assert (main.invalid, main.no_input, main.retries, main.retries_exhausted) == (2, 1, 3, 0)
    assert main.dropped == 1
    assert main.next == {"(end)": 1, "agent": 1, "main": 3, "resolved": 2}
    assert main.routes == {"invalid": 2, "key": 3, "no-input": 1}
    # Every wait at the menu was 4 s: the median, from log-scale buckets, is within 10 %.
    assert main.median_seconds is not None and abs(main.median_seconds - 4) / 4 < 0.1
    assert (nodes["resolved"].reached, nodes["resolved"].next) == (2, {"(end)": 2})
    assert (nodes["agent"].reached, nodes["agent"].dropped) == (1, 0)
    assert set(nodes) == {"main", "resolved", "agent"}


def test_retries_run_out_and_a_silence_goes_back(store: Store) -> None:
    calls = Recorder(store, parse_tree(TWO_MENUS))
    calls.outbound("exhausted", ["7", "7"])  # one retry allowed, then goodbye
    calls.outbound("back", ["1", "", "1", "1"])  # cards, silence -> main, cards, blocked
    calls.outbound("agent", ["0"])
    nodes = Analytics(store).funnel("bank", DAY).nodes
    main, cards = nodes["main"], nodes["cards"]
    assert (main.invalid, main.retries, main.retries_exhausted) == (1, 1, 1)
    assert main.next == {"bye": 1, "cards": 2, "main": 1, "agent": 1}
    assert (main.reached, main.visits) == (3, 5)
    assert (cards.reached, cards.visits, cards.no_input, cards.retries) == (1, 2, 1, 0)
    assert cards.keys == {"1": 1} and cards.next == {"blocked": 1, "main": 1}
    # No outcome label on the way out: the session counts as abandoned, lost at "bye".
    assert nodes["bye"].next == {"(end)": 1} and nodes["bye"].dropped == 1
    assert nodes["blocked"].reached == 1


def test_a_callee_who_hangs_up_during_the_first_menu_dropped_there(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.outbound("left", [])
    calls.outbound("busy", [], status="BUSY", answered=False)
    main = Analytics(store).funnel("simple_ivr", DAY).nodes["main"]
    # The busy callee never heard the menu: not reached, not dropped.
    assert (main.reached, main.visits, main.dropped, main.next) == (1, 1, 1, {"(end)": 1})


def test_inbound_calls_reach_the_entry_with_their_first_event(store: Store) -> None:
    calls = Recorder(store, load_tree("simple_ivr"))
    calls.inbound("in", ["2"])
    nodes = Analytics(store).funnel("simple_ivr", DAY).nodes
    assert (nodes["main"].reached, nodes["main"].keys) == (1, {"2": 1})
    assert nodes["agent"].reached == 1
