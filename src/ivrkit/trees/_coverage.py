"""Route coverage: which routes of each tree a test run took, read back from a route log
(:class:`~ivrkit.trees._observers.RouteLog`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ivrkit.trees._model import TreeSpec
from ivrkit.trees._position import RouteKind, RouteTaken
from ivrkit.trees._routes import RouteId, TreeRoute, route_id, tree_routes


@dataclass(frozen=True)
class TreeCoverage:
    """The routes of one version of a tree, and which of them were taken."""

    name: str
    version: str
    routes: tuple[TreeRoute, ...]
    taken: frozenset[RouteId]

    @property
    def taken_routes(self) -> tuple[TreeRoute, ...]:
        return tuple(route for route in self.routes if route.id in self.taken)

    @property
    def missed(self) -> tuple[TreeRoute, ...]:
        """The routes never taken, in the order of the tree."""
        return tuple(route for route in self.routes if route.id not in self.taken)

    @property
    def percent(self) -> float:
        return percent(len(self.taken_routes), len(self.routes))


def percent(taken: int, total: int) -> float:
    """The share taken, in percent; nothing to take counts as everything taken."""
    return 100.0 * taken / total if total else 100.0


def total_percent(coverages: Sequence[TreeCoverage]) -> float:
    """The share of all routes of all trees taken (0 when no tree answered at all)."""
    if not coverages:
        return 0.0
    taken = sum(len(coverage.taken_routes) for coverage in coverages)
    return percent(taken, sum(len(coverage.routes) for coverage in coverages))


def read_route_log(path: Path) -> list[TreeCoverage]:
    """The coverage of every tree the log names, by tree name and then in order of appearance.

    A line cut short (a process killed while writing) is skipped; routes the tree does not
    have (a call on another version of it) are not counted.
    """
    trees: dict[str, TreeSpec] = {}
    taken: dict[str, set[RouteId]] = {}
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        version = str(record.get("version"))
        if "tree" in record and version not in trees:
            trees[version] = TreeSpec.model_validate(record["tree"])
        taken.setdefault(version, set()).update(_route_ids(record.get("routes") or ()))
    found = [_coverage(spec, version, taken.get(version, set())) for version, spec in trees.items()]
    return sorted(found, key=lambda coverage: coverage.name)


_KINDS = frozenset(kind.value for kind in RouteKind)


def _route_ids(rows: Iterable[list[str | None]]) -> Iterable[RouteId]:
    for node, kind, value in rows:
        if node is not None and kind in _KINDS:
            yield route_id(RouteTaken(node, RouteKind(kind), value))


def _coverage(spec: TreeSpec, version: str, taken: set[RouteId]) -> TreeCoverage:
    routes = tree_routes(spec)
    known = {route.id for route in routes}
    return TreeCoverage(spec.name, version, routes, frozenset(taken & known))
