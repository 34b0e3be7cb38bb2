"""The routes a tree has: every way the engine can leave each node, as route coverage counts them.

A route is named by its node, its kind and a value (the menu key, the hook result, the node a
branch case leads to); :func:`route_id` names the route a :class:`RouteTaken` of the engine is,
so the routes a test run took can be checked off against :func:`tree_routes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivrkit.trees._model import RETRY, Collect, Menu, TreeSpec
from ivrkit.trees._position import RouteKind, RouteTaken

RouteId = tuple[str, RouteKind, str | None]
"""(node, kind, value): what makes one route of a tree different from another."""


@dataclass(frozen=True)
class TreeRoute:
    """One route out of ``node``: of ``kind`` (with ``value``), leading to ``to``."""

    node: str
    kind: RouteKind
    value: str | None = None
    to: str | None = None
    """The node the route leads to; None when the call ends there."""

    @property
    def id(self) -> RouteId:
        return (self.node, self.kind, self.value)

    @property
    def label(self) -> str:
        """The route as a person reads it: ``key 2``, ``no-input``, ``case vip``."""
        return f"{self.kind} {self.value}" if self.value is not None else str(self.kind)


def route_id(taken: RouteTaken) -> RouteId:
    """The route of the tree the engine took: a hook's default route is one route whatever
    result (or failure) led to it."""
    value = None if taken.kind is RouteKind.DEFAULT else taken.value
    return (taken.node, taken.kind, value)


def tree_routes(spec: TreeSpec) -> tuple[TreeRoute, ...]:
    """Every route the engine can take in ``spec``, node by node in the order of the file.

    A route that cannot be taken is left out: ``invalid`` of a node that retries with
    ``max_retries: 0`` (the first wrong entry already exhausts the retries), ``retries-exhausted``
    of a node that never retries. Branch cases leading to the same node are one route, as the
    engine reports the node a case leads to.
    """
    routes: list[TreeRoute] = []

    def add(node: str, kind: RouteKind, to: str | None, value: str | None = None) -> None:
        routes.append(TreeRoute(node, kind, value, to))

    for name, node in spec.nodes.items():
        if node.menu is not None:
            for digits in node.menu.routes:
                target = node.menu.target(digits)
                assert target is not None
                add(name, RouteKind.KEY, target.to, digits)
            routes.extend(_retrying_routes(name, node.menu))
        elif node.collect is not None:
            add(name, RouteKind.COLLECTED, node.collect.next)
            routes.extend(_retrying_routes(name, node.collect))
        elif node.say is not None:
            add(name, RouteKind.NEXT, node.say.next)
        elif node.play is not None:
            add(name, RouteKind.NEXT, node.play.next)
        elif node.transfer is not None:
            add(name, RouteKind.NEXT, node.transfer.after)
        elif node.branch is not None:
            for case in node.branch.cases:
                add(name, RouteKind.CASE, case.to, case.to)
            add(name, RouteKind.ELSE, node.branch.otherwise)
        elif node.hook is not None:
            for result, target_name in node.hook.routes.items():
                add(name, RouteKind.RESULT, target_name, result)
            add(name, RouteKind.DEFAULT, node.hook.default)
        elif node.goto is not None:
            add(name, RouteKind.GOTO, node.goto.node)
    unique = {route.id: route for route in reversed(routes)}  # the first of equal ids wins
    return tuple(route for route in routes if unique[route.id] is route)


def _retrying_routes(name: str, asking: Menu | Collect) -> list[TreeRoute]:
    """Wrong entry, silence and running out of tries (a retry leads back to the node itself)."""
    routes: list[TreeRoute] = []
    retries = asking.max_retries
    for kind, target in (
        (RouteKind.INVALID, asking.on_invalid),
        (RouteKind.NO_INPUT, asking.on_no_input),
    ):
        if target != RETRY:
            routes.append(TreeRoute(name, kind, None, target))
        elif retries != 0:
            routes.append(TreeRoute(name, kind, None, name))
    if retries is not None and RETRY in (asking.on_invalid, asking.on_no_input):
        routes.append(TreeRoute(name, RouteKind.RETRIES_EXHAUSTED, None, asking.on_max_retries))
    return routes
