"""The figures the pages show, from :mod:`ivrkit.analytics`: the overview's numbers and chart,
and a tree's funnel as an overlay on its drawing and as a table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivrkit import _outcomes as outcomes
from ivrkit.analytics import Funnel, NodeStats, Overview
from ivrkit.trees import _svg as svg
from ivrkit.trees._diagram import drawn_edges, summary_of, to_svg
from ivrkit.trees._model import TreeSpec

__all__ = [
    "NODE_FIELDS",
    "NodeRow",
    "chart_data",
    "drop_level",
    "funnel_json",
    "node_rows",
    "overlay",
    "overview_json",
    "percent",
    "tree_svg",
]

NODE_FIELDS = (
    "reached",
    "visits",
    "dropped",
    "retries_exhausted",
    "invalid",
    "no_input",
    "retries",
)
"""The columns of the node table, before one column per key."""


def percent(rate: float) -> str:
    """0.6667 -> "66.7%"."""
    return f"{rate * 100:.1f}%"


def lost(stats: NodeStats | None) -> int:
    """Callers lost at a node: those who hung up there, and those who ran out of tries there."""
    return 0 if stats is None else stats.dropped + stats.retries_exhausted


def drop_level(stats: NodeStats | None) -> int:
    """0 (nobody was lost there) to 4 (half or more of those who reached it hung up there or
    ran out of tries there)."""
    if stats is None or not stats.reached or not lost(stats):
        return 0
    share = min(1.0, lost(stats) / stats.reached)
    return 1 if share < 0.1 else 2 if share < 0.25 else 3 if share < 0.5 else 4


def node_note(spec: TreeSpec | None, name: str, stats: NodeStats | None) -> str:
    """The figures line of a node: callers who reached it, then who was lost there; or, at a
    labelled node, the outcome it gives and what that counts as."""
    reached = stats.reached if stats else 0
    parts = [f"{reached} reached"]
    node = spec.nodes.get(name) if spec is not None else None
    if node is not None and node.outcome is not None:
        counted = outcomes.counts_as(
            node.outcome, declared=node.counts_as, on_transfer=node.transfer is not None
        )
        parts.append(f"⚑ {node.outcome} ({counted})")
    if stats is not None and stats.retries_exhausted:
        parts.append(f"{percent(stats.retries_exhausted / max(reached, 1))} out of tries")
    if stats is not None and stats.dropped:
        parts.append(f"{stats.dropped} hung up")
    return " · ".join(parts)


def overlay(spec: TreeSpec, funnel: Funnel) -> svg.Overlay:
    """Every node's reach and drop-off, and every edge's transitions, for the drawing."""
    nodes: dict[str, svg.NodeMark] = {}
    for name in [*spec.nodes, *(n for n in funnel.nodes if n not in spec.nodes)]:
        stats = funnel.nodes.get(name)
        reached = stats.reached if stats else 0
        dropped = stats.dropped if stats else 0
        exhausted = stats.retries_exhausted if stats else 0
        nodes[name] = svg.NodeMark(
            note=node_note(spec, name, stats),
            level=drop_level(stats),
            data={
                "data-reached": str(reached),
                "data-dropped": str(dropped),
                "data-out-of-tries": str(exhausted),
            },
        )
    edges: dict[tuple[str, str], svg.EdgeMark] = {}
    for edge in drawn_edges(spec):
        stats = funnel.nodes.get(edge.source)
        count = stats.next.get(edge.target, 0) if stats else 0
        edges[edge.source, edge.target] = svg.EdgeMark(
            note=str(count),
            data={"data-from": edge.source, "data-to": edge.target, "data-count": str(count)},
            unused=count == 0,
        )
    return svg.Overlay(nodes=nodes, edges=edges)


def tree_svg(spec: TreeSpec, funnel: Funnel) -> str:
    """The tree's drawing with its funnel on it; styles come from the page's stylesheet."""
    return to_svg(spec, overlay=overlay(spec, funnel), embed_style=False)


@dataclass(frozen=True)
class NodeRow:
    node: str
    fields: dict[str, int]
    """NODE_FIELDS, then ``key:<k>`` for every key pressed anywhere in the tree."""
    kind: str = ""
    prompt: str = ""
    """The start of what the caller hears there (or what the node does), short."""
    outcome: str = ""
    """The outcome label the node gives, and what it counts as."""
    out_of_tries: str = ""
    """The share of the callers who reached it and ran out of tries there."""


def node_rows(spec: TreeSpec | None, funnel: Funnel) -> tuple[list[NodeRow], list[str]]:
    """The node table (tree order, then nodes the tree no longer has) and its key columns."""
    keys = sorted({key for stats in funnel.nodes.values() for key in stats.keys})
    order = list(spec.nodes) if spec is not None else []
    order += sorted(name for name in funnel.nodes if name not in order)
    rows = []
    for name in order:
        stats = funnel.nodes.get(name)
        fields = {field: int(getattr(stats, field)) if stats else 0 for field in NODE_FIELDS}
        fields |= {f"key:{key}": stats.keys.get(key, 0) if stats else 0 for key in keys}
        node = spec.nodes.get(name) if spec is not None else None
        outcome = ""
        if node is not None and node.outcome is not None:
            counted = outcomes.counts_as(
                node.outcome, declared=node.counts_as, on_transfer=node.transfer is not None
            )
            outcome = f"{node.outcome} ({counted})"
        share = ""
        if stats is not None and stats.reached and stats.retries_exhausted:
            share = percent(stats.retries_exhausted / stats.reached)
        rows.append(
            NodeRow(
                name,
                fields,
                kind=node.kind if node is not None else "",
                prompt=summary_of(spec, node) if spec is not None and node is not None else "",
                outcome=outcome,
                out_of_tries=share,
            )
        )
    return rows, [f"key:{key}" for key in keys]


def chart_data(overview: Overview) -> dict[str, Any]:
    """The chart's series as uPlot takes them: x in Unix seconds, then one list per category."""
    buckets = overview.series
    return {
        "x": [int(bucket.start.timestamp()) for bucket in buckets],
        "sessions": [bucket.sessions for bucket in buckets],
        "contained": [bucket.contained for bucket in buckets],
        "transferred": [bucket.transferred for bucket in buckets],
        "abandoned": [bucket.abandoned for bucket in buckets],
        "failed": [bucket.failed for bucket in buckets],
    }


def _time(moment: datetime) -> str:
    return moment.isoformat()


def overview_json(overview: Overview, *, today: int, in_progress: int) -> dict[str, Any]:
    return {
        "since": _time(overview.window.since),
        "until": _time(overview.window.until),
        "callsToday": today,
        "sessions": overview.sessions,
        "contained": overview.contained,
        "transferred": overview.transferred,
        "abandoned": overview.abandoned,
        "failed": overview.failed,
        "inProgress": in_progress,
        "containmentRate": overview.containment_rate,
        "transferRate": overview.transfer_rate,
        "abandonRate": overview.abandon_rate,
        "failureRate": overview.failure_rate,
        "outcomes": dict(overview.outcomes),
        "series": [
            {
                "start": _time(bucket.start),
                "sessions": bucket.sessions,
                "contained": bucket.contained,
                "transferred": bucket.transferred,
                "abandoned": bucket.abandoned,
                "failed": bucket.failed,
            }
            for bucket in overview.series
        ],
    }


def funnel_json(funnel: Funnel) -> dict[str, Any]:
    return {
        "flow": funnel.flow,
        "since": _time(funnel.window.since),
        "until": _time(funnel.window.until),
        "nodes": {
            name: {
                "reached": stats.reached,
                "visits": stats.visits,
                "keys": dict(stats.keys),
                "invalid": stats.invalid,
                "noInput": stats.no_input,
                "retries": stats.retries,
                "retriesExhausted": stats.retries_exhausted,
                "dropped": stats.dropped,
                "next": dict(stats.next),
                "medianSeconds": stats.median_seconds,
            }
            for name, stats in funnel.nodes.items()
        },
    }
