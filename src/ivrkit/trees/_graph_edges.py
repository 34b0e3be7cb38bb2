"""The edges of a tree: every way one node leads to another, with a label.

Shared by the loader (dangling targets), lint (reachability, loops) and the diagrams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ivrkit.trees._model import RETRY, Node, TreeSpec


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    field: tuple[str, ...]
    """Where the edge is written, below the node's kind key (for line numbers)."""


def edges_of(name: str, node: Node, *, keep_retry: bool = False) -> list[Edge]:
    """Every edge leaving ``name``; ``keep_retry`` also lists targets written as ``retry``."""
    found: list[Edge] = []

    def add(target: str | None, label: str, *field: str) -> None:
        if target is not None and (keep_retry or target != RETRY):
            found.append(Edge(name, target, label, field))

    menu = node.menu
    if menu is not None:
        for digits in menu.routes:
            route = menu.target(digits)
            assert route is not None
            add(route.to, digits, "routes", digits)
    asking = node.menu or node.collect
    if asking is not None:
        add(asking.on_invalid, "invalid", "on_invalid")
        add(asking.on_no_input, "no input", "on_no_input")
        add(asking.on_max_retries, "too many tries", "on_max_retries")
    if node.collect is not None:
        add(node.collect.next, f"{node.collect.variable} entered", "next")
    if node.say is not None:
        add(node.say.next, "then", "next")
    if node.play is not None:
        add(node.play.next, "then", "next")
    if node.transfer is not None:
        add(node.transfer.after, "after the call", "after")
    if node.branch is not None:
        for index, case in enumerate(node.branch.cases):
            add(case.to, describe_condition(node, index), "cases", str(index), "to")
        add(node.branch.otherwise, "else", "else")
    if node.hook is not None:
        for result, target in node.hook.routes.items():
            add(target, result, "routes", result)
        add(node.hook.default, "default", "default")
    if node.goto is not None:
        add(node.goto.node, "goto", "node")
    return found


def all_edges(spec: TreeSpec) -> list[Edge]:
    return [edge for name, node in spec.nodes.items() for edge in edges_of(name, node)]


def describe_condition(node: Node, index: int) -> str:
    assert node.branch is not None
    when = node.branch.cases[index].when
    if when.hours is not None:
        days = when.hours.days if isinstance(when.hours.days, str) else ",".join(when.hours.days)
        return f"open {days} {when.hours.open}-{when.hours.close}"
    if when.calendar is not None:
        return f"{when.calendar} open"
    if when.equals is not None:
        return f"{when.var} = {when.equals}"
    if when.one_of is not None:
        return f"{when.var} in {', '.join(when.one_of)}"
    if when.matches is not None:
        return f"{when.var} ~ {when.matches}"
    return f"{when.var} {'set' if when.is_set else 'unset'}"


PASS_THROUGH = ("branch", "hook", "goto")
"""Kinds that answer nothing themselves and lead straight on."""


def components(names: list[str], successors: Callable[[str], list[str]]) -> list[list[str]]:
    """Strongly connected components among ``names`` (Tarjan's algorithm, without recursion, so
    that a long chain of nodes cannot exhaust the stack)."""
    members = set(names)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    for start in names:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = []
        pending = [start]
        while pending or work:
            if pending:
                name = pending.pop()
                index[name] = low[name] = len(index)
                stack.append(name)
                on_stack.add(name)
                work.append((name, iter([t for t in successors(name) if t in members])))
            name, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    pending.append(target)
                elif target in on_stack:
                    low[name] = min(low[name], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[name])
            if low[name] == index[name]:
                group: list[str] = []
                while not group or group[-1] != name:
                    group.append(stack.pop())
                    on_stack.discard(group[-1])
                result.append(group)
    return result
