"""`ivrkit diff` and `ivrkit replay`: what a change to a tree does, before it goes live.

Both exit 0 when nothing changes for a caller, 1 when something does, and 2 on errors (one line
on stderr), so a CI job can hold a change for review.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.padding import Padding
from rich.text import Text

from ivrkit._cli import render
from ivrkit._cli.common import console, err_console, open_store_of, settings
from ivrkit._cli.options import MAX_LIMIT, DbOpt, JsonOpt
from ivrkit._cli.screen import Column, FittedTable
from ivrkit.errors import IvrkitError
from ivrkit.trees._diff import TREE, TreeDiff

if TYPE_CHECKING:
    from ivrkit.replay import ReplayReport

DIFFERENT = 1
ERROR = 2
LISTED = 20
"""Sessions that end differently listed one per line (the table and --json cover them all)."""
REPLAY_COLUMNS = (
    Column("old outcome"),
    Column("new outcome"),
    Column("sessions", justify="right"),
    Column("diverged at", keep=1),
    Column("examples", keep=2),
)
"""The replay's table; on a narrow terminal the examples go first."""


def _fail(message: str) -> typer.Exit:
    err_console.print(Text.assemble(("error:", "bold red"), f" {message}"), soft_wrap=True)
    return typer.Exit(ERROR)


def diff(
    old: Annotated[str, typer.Argument(help="The tree as it is (file or built-in name).")],
    new: Annotated[str, typer.Argument(help="The tree as it would be.")],
    as_json: JsonOpt = False,
) -> None:
    """What a caller would notice between two trees: nodes, prompts (word diff), routes,
    retries, timeouts, outcomes, conditions, numbers, voices, and the hours, holidays and
    overrides of the calendars they ask. Exit 1 when they differ."""
    from ivrkit.trees._diff import diff_trees
    from ivrkit.trees._loader import resolve_flow, tree_calendars
    from ivrkit.trees._parse import parse_spec, read_tree_text

    max_bytes = settings().max_tree_bytes
    try:
        specs = []
        calendars = []
        for flow in (old, new):
            path = resolve_flow(flow)
            text = read_tree_text(path, max_bytes=max_bytes)
            spec = parse_spec(text, source=str(path), max_bytes=max_bytes)[0]
            specs.append(spec)
            calendars.append(tree_calendars(spec, str(path)))
    except IvrkitError as exc:
        raise _fail(str(exc)) from None
    result = diff_trees(specs[0], specs[1], calendars=(calendars[0], calendars[1]))
    if as_json:
        console.print_json(data=result.to_json())
    else:
        _show_diff(result)
    raise typer.Exit(0 if result.same else DIFFERENT)


def _show_diff(result: TreeDiff) -> None:
    out = render.wide(console)
    versions = f"{result.old_name} {result.old_version} → {result.new_name} {result.new_version}"
    if result.same:
        out.print(Text(f"no difference a caller would notice ({versions})", style="green"))
        return
    count = len(result.changes)
    out.print(Text(f"{count} change{'s' if count != 1 else ''} ({versions})", style="bold"))
    for node, changes in result.by_node().items():
        heading = node if node == TREE or node.startswith("(calendar ") else f"`{node}`"
        out.print(Text(heading, style="bold cyan"))
        for change in changes:
            out.print(Padding(Text(change.message), (0, 0, 0, 2), expand=False))


def replay(
    flow: Annotated[str, typer.Option("--flow", help="The changed tree to replay against.")],
    db: DbOpt = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only sessions started since: 30m, 12h, 7d, 2w (back from now), today, or an "
            "ISO 8601 date or time."
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_LIMIT, help="Only the newest N sessions (default: all)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Play the recorded callers again against a changed tree, as the webhook server answers, and
    show how many would end differently (old outcome → new outcome). Exit 1 when any would."""
    from ivrkit.analytics._ranges import RangeError, bounds
    from ivrkit.replay import replay_store
    from ivrkit.trees._loader import load_tree

    try:
        start, _ = bounds(since, None, now=datetime.now(UTC))
    except RangeError as exc:
        raise _fail(f"--since {exc}") from None
    try:
        tree = load_tree(flow, max_bytes=settings().max_tree_bytes)
        store = open_store_of(db)
        try:
            report = replay_store(store, tree, since=start, limit=limit)
        finally:
            store.close()
    except IvrkitError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        console.print_json(data=report.to_json())
    else:
        _show_replay(report)
    raise typer.Exit(DIFFERENT if report.changed else 0)


def _show_replay(report: ReplayReport) -> None:
    header = (
        f"{report.sessions} recorded session{'s' if report.sessions != 1 else ''} replayed "
        f"against {report.flow} (version {report.version}): "
        f"{report.changed} would end differently"
    )
    out = render.wide(console)
    out.print(Text(header, style="bold yellow" if report.changed else "bold green"))
    if not report.sessions:
        for session_id, reason in report.skipped[:LISTED]:
            out.print(Text(f"{session_id}: skipped, {reason}", style="red"))
        return
    rows = [
        [
            cell.old,
            cell.new,
            str(cell.sessions),
            ", ".join(f"{node} ({count})" for node, count in cell.diverged_at),
            " ".join(cell.examples),
        ]
        for cell in report.cells
    ]
    styles = ["yellow" if cell.changed else None for cell in report.cells]
    out.print(FittedTable(REPLAY_COLUMNS, rows, row_styles=styles))
    for change in report.changes[:LISTED]:
        out.print(
            Text(
                f"{change.session_id}: {change.old} → {change.new}, diverged at "
                f"{change.diverged_at} (went to {change.old_next or '(end)'}, now "
                f"{change.new_next or '(end)'})"
            )
        )
    if report.changed > LISTED:
        out.print(f"… and {report.changed - LISTED} more (--json lists every one)")
    for session_id, error in report.errors[:LISTED]:
        out.print(Text(f"{session_id}: the replay ended in error: {error}", style="red"))
    if len(report.errors) > LISTED:
        out.print(f"… and {len(report.errors) - LISTED} more errors (--json lists them all)")
    for session_id, reason in report.skipped[:LISTED]:
        out.print(Text(f"{session_id}: skipped, {reason}", style="red"))
    if len(report.skipped) > LISTED:
        out.print(f"… and {len(report.skipped) - LISTED} more skipped (--json lists them all)")
