"""`ivrkit report`: what callers did in a tree over a time range, from the store's analytics
(:mod:`ivrkit.analytics`), as terminal tables, JSON or CSV; optionally beside another range or
another version of the tree."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ivrkit._cli import render
from ivrkit._cli.common import console, err_console, open_store_of
from ivrkit._cli.options import DbOpt
from ivrkit._cli.report_output import TABLES, Sides, document
from ivrkit.errors import ConfigError

if TYPE_CHECKING:
    from ivrkit.analytics import Analytics, Filters, Window
    from ivrkit.store import Store
    from ivrkit.trees import Tree


def report(
    flow: Annotated[
        str | None,
        typer.Option(
            "--flow",
            help="Tree: a name with sessions in the store, a tree file, or a built-in tree "
            "(simple_ivr, restaurant). Without it: the overview of every tree.",
        ),
    ] = None,
    since: Annotated[
        str, typer.Option(help="Start: 7d, 24h, 30m, 2w, today (back from --until) or ISO 8601.")
    ] = "7d",
    until: Annotated[
        str | None,
        typer.Option(
            help="End: an ISO 8601 time (excluded) or date (its whole day included), a span "
            "back from now (1d), today; default now."
        ),
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Only sessions answered by this tree version.")
    ] = None,
    campaign: Annotated[str | None, typer.Option(help="Only calls of this campaign.")] = None,
    number: Annotated[
        str | None, typer.Option(help="Only calls from or to this number (E.164 or digits).")
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            help="Compare with this range, FROM..TO: 14d..7d (back from --until) or ISO 8601."
        ),
    ] = None,
    against_version: Annotated[
        str | None,
        typer.Option(help="Compare with this tree version over the same range."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (docs/analytics.md).")
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV: every table, or the one --table names.")
    ] = False,
    table: Annotated[
        str | None,
        typer.Option(help="Only this table: overview, nodes, paths or series."),
    ] = None,
    paths: Annotated[int, typer.Option(min=1, max=1000, help="How many top paths.")] = 10,
    db: DbOpt = None,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help="Show phone numbers in full, not masked.")
    ] = False,
) -> None:
    """Show sessions by outcome, each node's funnel and the top paths of a tree."""
    if as_json and as_csv:
        raise ConfigError("--json and --csv exclude each other: choose one")
    if against and against_version:
        raise ConfigError("--against and --against-version exclude each other: choose one")
    if table is not None and table not in TABLES:
        raise ConfigError(f"--table {table!r} is not a table: choose {', '.join(TABLES)}")
    current_window = _window(since, until, datetime.now(UTC))
    analytics, store = _open(db)
    try:
        name, tree = _resolve_flow(flow, analytics)
        if against_version is not None and version is None:
            if tree is None:
                raise ConfigError("--against-version needs --version (the version to compare)")
            version = tree.version
        filters = _filters(name, version, campaign, number)
        current = analytics.report(name, current_window, filters)
        before = None
        if against is not None:
            before = analytics.report(name, _against(against, current_window.until), filters)
        elif against_version is not None:
            before = analytics.report(
                name, current_window, replace(filters, version=against_version)
            )
    finally:
        store.close()
    order = list(tree.spec.nodes) if tree is not None else []
    if tree is not None and tree.spec.entry in order:
        order.remove(tree.spec.entry)
        order.insert(0, tree.spec.entry)
    body = document(Sides(current, before, order=order, show_numbers=show_numbers))
    tables = [table] if table else list(TABLES if as_csv else TABLES[:3])
    if as_json:
        console.out(json.dumps(body, ensure_ascii=False, indent=2), highlight=False)
    elif as_csv:
        from ivrkit._cli.report_output import csv_text

        # The text already ends its lines; nothing may fold or add to them.
        console.file.write(csv_text(body, tables))
    else:
        from ivrkit._cli.report_tables import render as tables_of

        render.wide(console).print(tables_of(body, tables))


def _window(since: str, until: str | None, now: datetime) -> Window:
    """The range the dashboard would show for the same ``since`` and ``until``
    (:mod:`ivrkit.analytics._ranges`), its mistakes told by option."""
    from ivrkit.analytics._ranges import RangeError, limited, moment, window

    if until:
        try:
            moment(until, now=now, end=True)
        except RangeError as exc:
            raise ConfigError(f"--until {exc}") from None
    try:
        shown, note = limited(window(since, until, now=now))
    except RangeError as exc:
        raise ConfigError(f"--since {exc}") from None
    if note:
        err_console.print(f"note: {note}", markup=False, soft_wrap=True)
    return shown


def _against(text: str, end: datetime) -> Window:
    """``--against FROM..TO``, each side back from the report's end."""
    from ivrkit.analytics._ranges import RangeError, between

    try:
        return between(text, now=end)
    except RangeError as exc:
        raise ConfigError(f"--against {exc}") from None


def _open(db: str | None) -> tuple[Analytics, Store]:
    from ivrkit.analytics import Analytics

    store = open_store_of(db)
    return Analytics(store), store


def _resolve_flow(flow: str | None, analytics: Analytics) -> tuple[str | None, Tree | None]:
    """The tree's name as the store records it, and the tree itself when a file (or built-in
    name) gives it; a name that is neither a tree nor in the store is a mistake."""
    if flow is None:
        return None, None
    from ivrkit.trees._loader import BUILTIN_FLOWS, load_tree

    if flow in BUILTIN_FLOWS or Path(flow).is_file():
        tree = load_tree(flow)
        return tree.name, tree
    known = analytics.flows()
    if flow in known:
        return flow, None
    listed = ", ".join(sorted(known)) or "none yet"
    raise ConfigError(
        f"unknown tree {flow!r}: not a tree file, not a built-in tree, and the store has no "
        f"sessions of it (trees with sessions: {listed})"
    )


def _filters(
    flow: str | None, version: str | None, campaign: str | None, number: str | None
) -> Filters:
    from ivrkit.analytics import Filters

    return Filters(flow=flow, version=version, campaign=campaign, customer=number)
