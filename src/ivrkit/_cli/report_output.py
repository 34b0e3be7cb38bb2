"""The numbers of `ivrkit report` as plain rows: the JSON document and the CSV tables.

Both are built from the same rows (:func:`overview_row`, :func:`node_rows`, :func:`path_rows`),
so the terminal, JSON and CSV always show the same numbers. Keys are snake_case and stable
(docs/analytics.md lists them); phone numbers are masked unless asked otherwise.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivrkit._csv import cell
from ivrkit._masking import mask_number

if TYPE_CHECKING:
    from ivrkit.analytics import (
        Comparison,
        Difference,
        Filters,
        NodeStats,
        Overview,
        PathCount,
        Report,
        Window,
    )

TABLES = ("overview", "nodes", "paths", "series")
"""The tables of a report, in the order CSV writes them (``--table`` picks one)."""

COUNTS = ("sessions", "contained", "transferred", "abandoned", "failed", "in_progress")
RATES = ("containment_rate", "transfer_rate", "abandon_rate", "failure_rate")
NODE_COUNTS = (
    "reached",
    "visits",
    "invalid",
    "no_input",
    "retries",
    "retries_exhausted",
    "dropped",
)
PATH_SEPARATOR = " > "
"""Between the nodes of a path in CSV and on the terminal (JSON gives a list)."""


@dataclass(frozen=True)
class Sides:
    """What one `ivrkit report` shows: the report, and the one it is compared with (if any)."""

    current: Report
    against: Report | None = None
    order: Sequence[str] = ()
    """Node order of the tree file (entry first); nodes it does not name follow by reach."""
    show_numbers: bool = False


def _iso(window: Window) -> dict[str, str]:
    return {"since": window.since.isoformat(), "until": window.until.isoformat()}


def filters_json(filters: Filters, *, show_numbers: bool) -> dict[str, str | None]:
    return {
        "flow": filters.flow,
        "version": filters.version,
        "campaign": filters.campaign,
        "number": None
        if filters.customer is None
        else mask_number(filters.customer, show=show_numbers),
    }


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def overview_row(overview: Overview) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(overview, name) for name in COUNTS}
    row["ended"] = overview.contained + overview.transferred + overview.abandoned + overview.failed
    for name in RATES:
        row[name] = _rate(getattr(overview, name))
    return row


def ordered_nodes(report: Report, order: Sequence[str]) -> list[NodeStats]:
    if report.funnel is None:
        return []
    stats = report.funnel.nodes
    # A node of the tree nobody reached is a row of zeros: that is worth seeing too.
    known = [stats.get(name) or _unreached(name) for name in order]
    rest = sorted(
        (node for name, node in stats.items() if name not in order),
        key=lambda node: (-node.reached, node.node),
    )
    return known + rest


def _unreached(name: str) -> NodeStats:
    from ivrkit.analytics import NodeStats

    return NodeStats(
        node=name,
        reached=0,
        visits=0,
        keys={},
        invalid=0,
        no_input=0,
        retries=0,
        retries_exhausted=0,
        dropped=0,
        next={},
        median_seconds=None,
    )


def node_row(node: NodeStats) -> dict[str, Any]:
    row: dict[str, Any] = {"node": node.node}
    for name in NODE_COUNTS:
        row[name] = getattr(node, name)
    row["drop_rate"] = round(node.dropped / node.reached, 4) if node.reached else 0.0
    row["keys"] = dict(sorted(node.keys.items()))
    row["next"] = dict(sorted(node.next.items(), key=lambda item: (-item[1], item[0])))
    row["median_seconds"] = _seconds(node.median_seconds)
    return row


def path_row(path: PathCount) -> dict[str, Any]:
    return {
        "nodes": list(path.nodes),
        "sessions": path.sessions,
        "outcome": path.outcome,
        "median_seconds_to_outcome": _seconds(path.median_seconds_to_outcome),
    }


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def report_json(report: Report, order: Sequence[str], *, show_numbers: bool) -> dict[str, Any]:
    overview = report.overview
    return {
        "window": _iso(overview.window),
        "filters": filters_json(overview.filters, show_numbers=show_numbers),
        "overview": {**overview_row(overview), "outcomes": dict(sorted(overview.outcomes.items()))},
        "series": [
            {
                "start": bucket.start.isoformat(),
                "sessions": bucket.sessions,
                "contained": bucket.contained,
                "transferred": bucket.transferred,
                "abandoned": bucket.abandoned,
                "failed": bucket.failed,
            }
            for bucket in overview.series
        ],
        "nodes": [node_row(node) for node in ordered_nodes(report, order)],
        "paths": [path_row(path) for path in report.paths],
    }


def _change(difference: Difference | None, digits: int = 4) -> float | int | None:
    if difference is None:
        return None
    change = difference.change
    return int(change) if float(change).is_integer() and digits == 0 else round(change, digits)


def differences(comparison: Comparison, order: Sequence[str]) -> dict[str, Any]:
    """``current - against`` as :func:`ivrkit.analytics.compare` computes it: the overview's
    counts and rates, each outcome, and every node either side reached."""
    from ivrkit.analytics import Difference

    overview: dict[str, Any] = {
        name: _change(comparison.counts[name], 0) for name in COUNTS if name in comparison.counts
    }
    for name in RATES:
        rate = comparison.rates.get(name.removesuffix("_rate"))
        if rate is None:
            before, after = comparison.before.overview, comparison.after.overview
            rate = Difference(getattr(before, name), getattr(after, name))
        overview[name] = _change(rate)
    known = [name for name in order if name in comparison.nodes]
    rest = sorted(name for name in comparison.nodes if name not in order)
    nodes = [
        {
            "node": name,
            "reached": _change(node.reached, 0),
            "dropped": _change(node.dropped, 0),
            "drop_rate": _change(node.drop_rate),
            "median_seconds": _change(node.median_seconds, 3),
        }
        for name in known + rest
        for node in (comparison.nodes[name],)
    ]
    outcomes = {name: _change(diff, 0) for name, diff in comparison.outcomes.items()}
    return {"overview": overview, "outcomes": outcomes, "nodes": nodes}


def document(sides: Sides) -> dict[str, Any]:
    """The whole ``--json`` document."""
    from ivrkit.analytics import compare

    current = report_json(sides.current, sides.order, show_numbers=sides.show_numbers)
    flow = sides.current.funnel.flow if sides.current.funnel else None
    body: dict[str, Any] = {"flow": flow, **current, "against": None, "differences": None}
    if sides.against is not None:
        against = report_json(sides.against, sides.order, show_numbers=sides.show_numbers)
        body["against"] = against
        comparison = compare(sides.against, sides.current)
        body["differences"] = differences(comparison, sides.order)
    return body


# -- CSV ----------------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return " ".join(f"{key}={count}" for key, count in value.items())
    if isinstance(value, list):
        return PATH_SEPARATOR.join(value)
    return "" if value is None else value


def _csv_rows(name: str, side: str, part: dict[str, Any]) -> list[dict[str, Any]]:
    window = part.get("window", {})
    base = {"side": side, "since": window.get("since", ""), "until": window.get("until", "")}
    if name == "overview":
        counts = {key: value for key, value in part["overview"].items() if key != "outcomes"}
        # a report keeps its outcomes in the overview; the differences beside it
        outcomes = part["overview"].get("outcomes", part.get("outcomes", {}))
        return [{**base, **part.get("filters", {}), **counts, "outcomes": outcomes}]
    return [{**base, **row} for row in part.get(name, [])]


def csv_text(body: dict[str, Any], tables: Iterable[str]) -> str:
    """CSV of the chosen tables. One table: a plain CSV. Several: each begins with a line
    ``# name`` and its header row, and a blank line ends it. The first column, ``side``, is
    ``current``, ``against`` or ``difference`` (the last two only when compared; differences exist
    for the overview and the nodes)."""
    chosen = list(tables)
    out = io.StringIO()
    for index, name in enumerate(chosen):
        rows = _csv_rows(name, "current", body)
        if body.get("against") is not None:
            rows += _csv_rows(name, "against", body["against"])
            if name in ("overview", "nodes"):
                rows += _csv_rows(name, "difference", body["differences"])
        if len(chosen) > 1:
            if index:
                out.write("\r\n")
            out.write(f"# {name}\r\n")
        header = _HEADERS[name]
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: cell(_cell(row.get(key))) for key in header})
    return out.getvalue()


_HEADERS = {
    "overview": [
        *("side", "since", "until", "flow", "version", "campaign", "number"),
        *(*COUNTS, "ended", *RATES, "outcomes"),
    ],
    "nodes": [
        *("side", "since", "until", "node", *NODE_COUNTS),
        *("drop_rate", "keys", "next", "median_seconds"),
    ],
    "paths": [
        "side",
        "since",
        "until",
        "nodes",
        "sessions",
        "outcome",
        "median_seconds_to_outcome",
    ],
    "series": ["side", "since", "until", "start", "sessions", *COUNTS[1:5]],
}
