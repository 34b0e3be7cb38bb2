"""The routes a tree has (what route coverage counts) are exactly the routes the engine takes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from ivrkit import wire
from ivrkit.trees import HookCall, HookRegistry, Position, RouteKind, RouteTaken, Tree, load_tree
from ivrkit.trees._parse import parse_spec
from ivrkit.trees._routes import TreeRoute, route_id, tree_routes

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SUNDAY_NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

SHOP = """
name: shop
numbers: {caller_id: "6512345678"}
entry: open
nodes:
  open:
    branch:
      cases:
        - {if: {hours: {timezone: UTC, days: mon-fri, open: "09:00", close: "17:00"}}, to: main}
      else: closed
  closed:
    play: {url: "https://example.com/closed.wav"}
  main:
    menu:
      prompt: Press 1 for your account, 2 to hear about us.
      routes: {"1": account, "2": info}
      max_retries: 1
      on_no_input: bye
      on_max_retries: bye
  account:
    collect:
      prompt: Enter your 4-digit account number.
      variable: account
      next: check
      min_digits: 4
      max_digits: 4
      max_retries: 0
      on_no_input: bye
  check:
    hook: {python: check_account, routes: {gold: vip, plain: hop}, default: bye}
  vip:
    say: {text: Hello gold member., next: hop}
  hop:
    goto: info
  info:
    say: We are here to help.
  bye:
    hangup: {say: Bye.}
"""


def _event(
    action_id: str | None, digits: str = "", *, inbound: bool = False
) -> wire.CallActionEvent:
    return wire.CallActionEvent.model_validate(
        {
            "eventType": "CALL_ACTION",
            "payload": {
                "eventId": "e1",
                "sessionId": "s1",
                "callId": "c1",
                "callStatus": "CALL_RECEIVED" if inbound else "CALL_CONNECTED",
                "callDirection": "INBOUND" if inbound else "OUTBOUND",
                "source": "6512345678",
                "destination": "6587654321",
                "clientActionId": action_id,
                "dtmf": digits,
            },
        }
    )


def _walk(tree: Tree, entries: Mapping[str, list[str]] | None = None) -> list[RouteTaken]:
    """Every route the engine takes from an inbound call on, trying at every prompt each key,
    a wrong entry and silence (and the ``entries`` given for collect nodes)."""
    first = tree.answer(_event(None, inbound=True))
    taken = list(first.routes)
    pending = [first.callflow.client_action_id]
    seen: set[str] = set()
    while pending:
        action_id = pending.pop()
        if action_id is None or action_id in seen:
            continue
        seen.add(action_id)
        position = Position.decode(action_id)
        assert position is not None
        if position.retries > 3:  # a menu that retries for ever: three tries show it all
            continue
        node = tree.spec.nodes[position.node]
        tries = [""]
        if node.menu is not None:
            tries += [*node.menu.routes, "98"]
        if node.collect is not None:
            tries += ["*", *(entries or {}).get(position.node, [])]
        for digits in tries:
            decision = tree.answer(_event(action_id, digits))
            taken += decision.routes
            pending.append(decision.callflow.client_action_id)
    return taken


def _assert_walk_takes_exactly(tree: Tree, taken: list[RouteTaken]) -> None:
    routes = {route.id: route for route in tree_routes(tree.spec)}
    assert {route_id(route) for route in taken} == set(routes)
    for route in taken:
        assert route.to == routes[route_id(route)].to, route


@pytest.mark.parametrize("name", ["simple_ivr", "restaurant"])
def test_every_route_of_a_builtin_tree_is_taken_and_the_engine_takes_no_other(name: str) -> None:
    tree = load_tree(name)
    _assert_walk_takes_exactly(tree, _walk(tree))


def test_the_simple_ivr_has_its_keys_its_retries_and_the_end_of_the_agent_call() -> None:
    routes = tree_routes(load_tree("simple_ivr").spec)
    assert [(r.node, r.label, r.to) for r in routes] == [
        ("main", "key 1", "resolved"),
        ("main", "key 2", "agent"),
        ("main", "invalid", "main"),
        ("main", "no-input", "main"),
        ("agent", "next", None),
    ]


def _shop(at: datetime, hooks: HookRegistry) -> Tree:
    spec, root = parse_spec(SHOP)
    return Tree(spec, hooks=hooks, clock=lambda: at, yaml_root=root)


def _account_hooks() -> HookRegistry:
    hooks = HookRegistry()

    @hooks.register("check_account")
    def check(call: HookCall) -> str:
        results = {"1111": "gold", "2222": "plain", "3333": "unknown-result"}
        if call.variables["account"] not in results:
            raise RuntimeError("the account service is down")
        return results[call.variables["account"]]

    return hooks


def test_branches_hooks_collects_plays_and_gotos_have_their_routes() -> None:
    spec, _ = parse_spec(SHOP)
    assert [(r.node, r.label, r.to) for r in tree_routes(spec)] == [
        ("open", "case main", "main"),
        ("open", "else", "closed"),
        ("closed", "next", None),
        ("main", "key 1", "account"),
        ("main", "key 2", "info"),
        ("main", "invalid", "main"),
        ("main", "no-input", "bye"),
        ("main", "retries-exhausted", "bye"),
        ("account", "collected", "check"),
        # no "invalid": with max_retries 0 the first wrong entry exhausts the retries
        ("account", "no-input", "bye"),
        ("account", "retries-exhausted", None),
        ("check", "result gold", "vip"),
        ("check", "result plain", "hop"),
        ("check", "default", "bye"),
        ("vip", "next", "hop"),
        ("hop", "goto", "info"),
        ("info", "next", None),
    ]


def test_the_engine_takes_every_route_of_branches_and_hooks_and_no_other() -> None:
    hooks = _account_hooks()
    accounts = {"account": ["1111", "2222", "3333", "4444"]}
    taken = _walk(_shop(MONDAY_NOON, hooks), accounts) + _walk(_shop(SUNDAY_NOON, hooks), accounts)
    _assert_walk_takes_exactly(_shop(MONDAY_NOON, hooks), taken)


def test_a_hook_default_is_one_route_whatever_led_to_it() -> None:
    failed = RouteTaken("check", RouteKind.DEFAULT, None, "bye")
    unknown = RouteTaken("check", RouteKind.DEFAULT, "unknown-result", "bye")
    assert route_id(failed) == route_id(unknown) == ("check", RouteKind.DEFAULT, None)


def test_retries_exhausted_only_where_a_node_retries_with_a_limit() -> None:
    spec, _ = parse_spec(
        """
name: t
entry: a
nodes:
  a:
    menu: {prompt: Press 1., routes: {"1": b}, on_invalid: b, on_no_input: b, max_retries: 2}
  b:
    menu: {prompt: Press 1., routes: {"1": c}}
  c:
    hangup: {}
"""
    )
    kinds = [(route.node, route.kind) for route in tree_routes(spec)]
    assert ("a", RouteKind.RETRIES_EXHAUSTED) not in kinds  # a never retries
    assert ("b", RouteKind.RETRIES_EXHAUSTED) not in kinds  # b retries without a limit
    assert ("b", RouteKind.INVALID) in kinds


def test_two_cases_to_one_node_are_one_route() -> None:
    spec, _ = parse_spec(
        """
name: t
entry: a
nodes:
  a:
    branch:
      cases: [{if: {var: x, equals: "1"}, to: b}, {if: {var: x, equals: "2"}, to: b}]
      else: b
  b:
    hangup: {}
"""
    )
    assert tree_routes(spec) == (
        TreeRoute("a", RouteKind.CASE, "b", "b"),
        TreeRoute("a", RouteKind.ELSE, None, "b"),
    )
