"""`ivrkit report` on a terminal: the overview, the node funnel and the top paths as Rich tables,
drawn from the same rows as the JSON and CSV output (:mod:`ivrkit._cli.report_output`)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from ivrkit._cli.report_output import COUNTS, PATH_SEPARATOR
from ivrkit._cli.screen import Column, FittedTable

_LABELS = {
    "sessions": "sessions",
    "contained": "contained",
    "transferred": "transferred",
    "abandoned": "abandoned",
    "failed": "failed",
    "in_progress": "in progress",
}
_RATE_OF = {
    "contained": "containment_rate",
    "transferred": "transfer_rate",
    "abandoned": "abandon_rate",
    "failed": "failure_rate",
}


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _signed(value: Any, *, percent: bool = False) -> str:
    if value is None:
        return "-"
    if percent:
        return f"{value * 100:+.1f} pt"
    if isinstance(value, float):
        return f"{value:+.1f}"
    return f"{value:+d}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _counter(counts: dict[str, int]) -> str:
    return " ".join(f"{key}:{count}" for key, count in counts.items()) or "-"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _heading(body: dict[str, Any], label: str) -> str:
    window = body["window"]
    filters = [f"{key} {value}" for key, value in body["filters"].items() if value]
    text = f"{label}: {window['since']} .. {window['until']}"
    return text + (f" ({', '.join(filters)})" if filters else "")


def overview_table(body: dict[str, Any]) -> FittedTable:
    against = body.get("against")
    title = "Sessions" + (f" of {body['flow']}" if body.get("flow") else "")
    columns = [Column(""), Column("count", justify="right"), Column("rate", justify="right")]
    if against is not None:
        columns += [  # the change matters most on a narrow terminal, the before least
            Column("before", keep=3, justify="right"),
            Column("rate before", keep=4, justify="right"),
            Column("change", keep=1, justify="right"),
            Column("rate change", keep=2, justify="right"),
        ]
    now, then = body["overview"], against["overview"] if against else None
    diff = body["differences"]["overview"] if against else None
    rows: list[list[str]] = []
    for name in COUNTS:
        rate_key = _RATE_OF.get(name)
        cells = [_LABELS[name], _number(now[name]), _percent(now[rate_key]) if rate_key else ""]
        if then is not None and diff is not None:
            cells += [_number(then[name]), _percent(then[rate_key]) if rate_key else ""]
            cells += [
                _signed(diff[name]),
                _signed(diff[rate_key], percent=True) if rate_key else "",
            ]
        rows.append(cells)
    return FittedTable(columns, rows, title=title)


NODE_COLUMNS = (
    Column("node", fold=True),
    Column("reached", justify="right"),
    Column("keys", keep=2),
    Column("invalid", keep=3, justify="right"),
    Column("no input", keep=4, justify="right"),
    Column("retries", keep=5, justify="right"),
    Column("dropped", keep=1, justify="right"),
    Column("next", keep=2),
    Column("median", keep=6, justify="right"),
)
"""The funnel's columns; on a narrow terminal the highest ``keep`` goes first."""


def nodes_table(body: dict[str, Any]) -> FittedTable:
    against = body.get("against")
    changes = {row["node"]: row for row in body["differences"]["nodes"]} if against else {}
    rows: list[list[str]] = []
    for row in body["nodes"]:
        change = changes.get(row["node"])

        def count(key: str, row: dict[str, Any] = row, change: Any = change) -> str:
            text = _number(row[key])
            if change is None or key not in change:
                return text
            return f"{text} ({_signed(change[key])})"

        rows.append(
            [
                row["node"],
                count("reached"),
                _counter(row["keys"]),
                count("invalid"),
                count("no_input"),
                count("retries"),
                count("dropped"),
                _counter(row["next"]),
                _seconds(row["median_seconds"]),
            ]
        )
    return FittedTable(NODE_COLUMNS, rows, title="Nodes (funnel)")


NO_NODE = "(no node)"
"""The path of a call that ended before any answer (not answered, or left during the first
prompt)."""


def _path_key(row: dict[str, Any]) -> tuple[tuple[str, ...], str | None]:
    return tuple(row["nodes"]), row["outcome"]


def paths_table(body: dict[str, Any]) -> FittedTable:
    columns = [
        Column("path"),
        Column("sessions", justify="right"),
        Column("outcome", keep=1),
        Column("median to outcome", keep=2, justify="right"),
    ]
    before: dict[tuple[tuple[str, ...], str | None], int] = {}
    if body.get("against") is not None:
        before = {_path_key(row): row["sessions"] for row in body["against"]["paths"]}
        columns.append(Column("before", keep=1, justify="right"))
    rows: list[list[str]] = []
    for row in body["paths"]:
        cells = [
            PATH_SEPARATOR.join(row["nodes"]) or NO_NODE,
            _number(row["sessions"]),
            row["outcome"] or "-",
            _seconds(row["median_seconds_to_outcome"]),
        ]
        if body.get("against") is not None:
            cells.append(_number(before.get(_path_key(row), 0)))
        rows.append(cells)
    return FittedTable(columns, rows, title="Top paths")


def series_table(body: dict[str, Any]) -> FittedTable:
    columns = [Column("start")]
    columns += [Column(name.replace("_", " "), justify="right") for name in COUNTS[:5]]
    rows = [[row["start"], *(_number(row[name]) for name in COUNTS[:5])] for row in body["series"]]
    return FittedTable(columns, rows, title="Over time (UTC)")


_TABLES = {
    "overview": overview_table,
    "nodes": nodes_table,
    "paths": paths_table,
    "series": series_table,
}


def render(body: dict[str, Any], tables: list[str]) -> RenderableType:
    """The chosen tables under a heading with the window(s) and filters."""
    parts: list[RenderableType] = [Text(_heading(body, "report"))]
    if body.get("against") is not None:
        parts.append(Text(_heading(body["against"], "against")))
    for name in tables:
        if name in ("nodes", "paths") and body.get("flow") is None:
            continue
        parts.append(Text(""))
        parts.append(_TABLES[name](body))
    return Group(*parts)
