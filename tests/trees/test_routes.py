"""The engine says which route it took: what path analytics and route coverage count."""

from __future__ import annotations

from ivrkit import wire
from ivrkit.trees import RouteKind, RouteTaken, load_tree, parse_tree
from ivrkit.trees._engine import spec_version


def _event(action_id: str | None, digits: str = "") -> wire.CallActionEvent:
    return wire.CallActionEvent.model_validate(
        {
            "eventType": "CALL_ACTION",
            "payload": {
                "eventId": "e1",
                "sessionId": "s1",
                "callId": "c1",
                "callStatus": "CALL_CONNECTED",
                "callDirection": "OUTBOUND",
                "source": "6512345678",
                "destination": "6587654321",
                "clientActionId": action_id,
                "dtmf": digits,
            },
        }
    )


def test_a_menu_key_is_a_key_route_to_its_node() -> None:
    tree = load_tree("simple_ivr")
    decision = tree.answer(_event(tree.spec.entry, "2"))
    assert decision.heard is not None and decision.heard.node == tree.spec.entry
    first = decision.routes[0]
    assert (first.node, first.kind, first.value) == (tree.spec.entry, RouteKind.KEY, "2")
    assert first.to == decision.reached[0]


def test_invalid_and_silence_are_told_apart_and_retries_run_out() -> None:
    tree = load_tree("simple_ivr")
    entry = tree.spec.entry
    assert tree.answer(_event(entry, "9")).routes[0].kind is RouteKind.INVALID
    assert tree.answer(_event(entry, "")).routes[0].kind is RouteKind.NO_INPUT
    menu = tree.spec.nodes[entry].menu
    assert menu is not None
    if menu.max_retries is not None:
        last = tree.answer(_event(f"{entry}#{menu.max_retries}", "9"))
        assert last.routes[0].kind is RouteKind.RETRIES_EXHAUSTED


def test_branches_and_gotos_on_the_way_are_routes_too() -> None:
    tree = parse_tree(
        """
name: t
numbers: {caller_id: "6512345678"}
entry: main
nodes:
  main:
    menu:
      prompt: Press 1.
      routes: {"1": hop}
  hop:
    goto: {node: check}
  check:
    branch:
      cases: [{when: {var: vip, equals: "yes"}, to: vip}]
      otherwise: bye
  vip:
    hangup: {say: Hello VIP.}
  bye:
    hangup: {say: Bye.}
"""
    )
    decision = tree.answer(_event("main", "1"))
    assert [(r.node, r.kind) for r in decision.routes] == [
        ("main", RouteKind.KEY),
        ("hop", RouteKind.GOTO),
        ("check", RouteKind.ELSE),
    ]
    assert decision.reached == ("hop", "check", "bye")
    assert str(decision.routes[0]) == "main: key 1 -> hop"


def test_a_new_inbound_call_heard_nothing() -> None:
    decision = load_tree("simple_ivr").answer(_event("no-such-node", "1"))
    assert decision.heard is None
    assert decision.routes == ()
    assert isinstance(RouteTaken("a", RouteKind.NEXT), RouteTaken)


def test_the_version_is_the_content_not_the_formatting() -> None:
    text = "name: t\nentry: a\nnodes:\n  a: {hangup: {say: Bye.}}\n"
    same = "name: t\nnodes:\n  a:\n    hangup:\n      say: Bye.\nentry: a\n"
    changed = "name: t\nentry: a\nnodes:\n  a: {hangup: {say: Goodbye.}}\n"
    assert parse_tree(text).version == parse_tree(same).version
    assert parse_tree(text).version != parse_tree(changed).version
    assert len(parse_tree(text).version) == 10
    assert parse_tree(text).version == spec_version(parse_tree(text).spec, {})


def test_the_first_event_of_an_outbound_call_is_answered_from_the_menu_it_heard() -> None:
    # The initial request spoke a greeting, passed a branch, then asked the menu; the first
    # webhook carries no clientActionId. The key pressed is the menu's, not lost.
    tree = parse_tree(
        """
name: t
numbers: {caller_id: "6512345678"}
entry: hello
nodes:
  hello:
    say: {text: Hello., next: check}
  check:
    branch:
      cases: [{when: {var: vip, equals: "yes"}, to: vip}]
      otherwise: main
  main:
    menu:
      prompt: Press 1.
      routes: {"1": bye}
  vip:
    hangup: {say: Hello VIP.}
  bye:
    hangup: {say: Bye.}
"""
    )
    decision = tree.answer(_event(None, "1"))
    assert decision.heard is not None and decision.heard.node == "main"
    assert (decision.routes[0].node, decision.routes[0].kind) == ("main", RouteKind.KEY)
    assert decision.reached == ("bye",)
