"""How `ivrkit campaign` shows a campaign: its status (what it waits for, the next due time, the
ETA, its changes), its report as a table or as CSV, and the list of campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table

from ivrkit._cli.screen import Column, FittedTable
from ivrkit._csv import csv_text

if TYPE_CHECKING:
    from ivrkit.campaigns import Campaign, CampaignStatus, ContactReport
    from ivrkit.campaigns._model import CampaignChange

EMPTY_STORE = (
    "no campaigns in this store yet: `ivrkit campaign create NAME --contacts FILE` makes one"
)
SHOWN_CHANGES = 10
"""Changes `campaign status` shows (the newest); `--json` has them all."""


def span(seconds: float) -> str:
    """``5h 42m``, ``3d 2h``, ``40s``: a wait as people say it."""
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def _utc(moment: datetime) -> str:
    from ivrkit.campaigns._model import when

    return when(moment, "UTC")


def change_line(change: CampaignChange) -> str:
    return f"{_utc(change.at)}  {change.actor}  {change.describe()}"


def status_lines(status: CampaignStatus) -> list[str]:
    """`campaign status` as lines: counts, then when and why the next call comes, the ETA, and
    the newest changes."""
    from ivrkit.campaigns._model import when

    states = ", ".join(f"{k} {v}" for k, v in status.by_state.items()) or "no contacts"
    outcomes = ", ".join(f"{k} {v}" for k, v in status.by_outcome.items()) or "none yet"
    lines = [
        f"campaign {status.name}: {status.state}, {status.total} contact(s)",
        f"contacts: {states}",
        f"outcomes: {outcomes}",
        f"calls placed: {status.calls_placed}; rate {status.rate_per_minute:.1f}/min",
    ]
    if status.next_due is not None:
        lines.append(f"next call due: {when(status.next_due, status.zone)}")
    if status.wait is not None:
        lines.append(status.wait.describe())
    if status.eta is not None and status.eta_seconds:
        lines.append(
            f"eta: {when(status.eta, status.zone)}, in {span(status.eta_seconds)} "
            "(one call per contact due; retries add to it)"
        )
    elif status.eta_seconds == 0:
        lines.append("eta: every contact is done")
    elif status.state == "paused":
        lines.append("eta: none while paused")
    elif status.state == "active":
        lines.append("eta: unknown (nothing will call the contacts left)")
    if status.changes:
        newest = status.changes[-SHOWN_CHANGES:]
        hidden = len(status.changes) - len(newest)
        lines.append("changes:" + (f" ({hidden} earlier in --json)" if hidden else ""))
        lines += [f"  {change_line(change)}" for change in newest]
    return lines


def _due(row: ContactReport) -> str:
    return _utc(row.due_at) if row.due_at is not None else "-"


REPORT_COLUMNS = (
    Column("line", keep=2, justify="right"),
    Column("number"),
    Column("state", keep=1),
    Column("outcome"),
    Column("due"),
    Column("attempts", keep=3, justify="right"),
    Column("sessions", fold=True),
)
"""The report's columns; on a narrow terminal the attempt counts go first, then the line numbers."""


def report_table(rows: list[ContactReport]) -> FittedTable:
    """One row per contact, with headers; columns that do not fit are left out and named."""
    cells = [
        [
            str(row.line),
            row.number,
            row.state,
            row.outcome or "-",
            _due(row),
            str(len(row.attempts)),
            "\n".join(a.session_id or a.state for a in row.attempts) or "-",
        ]
        for row in rows
    ]
    return FittedTable(REPORT_COLUMNS, cells, empty="this campaign has no contacts")


def report_csv(rows: list[ContactReport]) -> str:
    """One row per contact: number, variables, state, outcome, when it is due, attempts, then
    each attempt's session, status and outcome; every row as wide as the header."""
    names = sorted({key for row in rows for key in row.variables})
    most = max((len(row.attempts) for row in rows), default=0)
    header = ["line", "number", *names, "state", "outcome", "due_at", "attempts"]
    for n in range(1, most + 1):
        header += [f"attempt{n}_session", f"attempt{n}_status", f"attempt{n}_outcome"]
    table: list[list[object]] = [list(header)]
    for row in rows:
        cells: list[object] = [row.line, row.number, *(row.variables.get(k, "") for k in names)]
        cells += [row.state, row.outcome or "", row.due_at.isoformat() if row.due_at else ""]
        cells.append(len(row.attempts))
        for attempt in row.attempts:
            cells += [attempt.session_id or "", attempt.status or attempt.state, attempt.outcome]
        cells += [""] * (len(header) - len(cells))
        table.append(cells)
    return csv_text(table, lineterminator="\n")


def campaigns_table(found: list[Campaign]) -> Table:
    table = Table(title_justify="left")
    for column in ("name", "state", "flow", "created"):
        table.add_column(column, overflow="fold")
    for c in found:
        table.add_row(c.name, c.state, c.settings.flow, _utc(c.created_at))
    return table
