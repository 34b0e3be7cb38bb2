"""How the CLI shows things: tables, JSON shapes, redacted URLs."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from ivrkit import rules
from ivrkit._masking import mask_digits, mask_number

if TYPE_CHECKING:
    from ivrkit.store import SessionRecord

UNBOUNDED = 1_000_000
"""Width of a console writing to a file or pipe: a table there takes its natural width."""


def wide(console: Console) -> Console:
    """The console itself on a terminal; an unbounded one when output goes to a file or pipe, so
    that a table's rows are never folded (nor squeezed to COLUMNS or 80 columns) there."""
    if console.is_terminal:
        return console
    return Console(file=console.file, width=UNBOUNDED, highlight=False, soft_wrap=True)


def safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    return re.sub(r"(//[^:/@]+:)[^@]+@", r"\1***@", url)


def verdict_json(verdict: rules.Verdict) -> dict[str, Any]:
    return {
        "statusCode": verdict.status_code,
        "statusMessage": verdict.status_message,
        "httpStatus": verdict.http_status,
        "findings": [
            {"code": f.code, "message": f.message, "path": f.path} for f in verdict.findings
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def session_json(row: SessionRecord, *, show_numbers: bool = False) -> dict[str, Any]:
    """One session as ``ivrkit sessions --json`` prints it; the number masked unless shown."""
    return {
        "sessionId": row.session_id,
        "direction": row.direction,
        "status": row.status,
        "lastAction": row.last_action,
        "digits": [mask_digits(typed, show=show_numbers) for typed in row.digits],
        "start": _iso(row.started_at),
        "end": _iso(row.ended_at),
        "durationSeconds": row.duration_seconds,
        "callCount": row.call_count,
        "customer": None if row.customer is None else mask_number(row.customer, show=show_numbers),
        "flow": row.flow,
        "node": row.node,
        "outcome": row.outcome,
        "errorCode": row.error_code,
        "firstVersion": row.first_version,
        "lastVersion": row.last_version,
    }


def versions_of(row: SessionRecord) -> str:
    """The tree versions that answered a session: one, or ``first → last`` when they differ."""
    first, last = row.first_version, row.last_version
    if first is None or last is None or first == last:
        return first or last or "-"
    return f"{first} → {last}"


def _short(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def sessions_table(
    rows: list[SessionRecord],
    title: str = "Sessions",
    *,
    versions: bool = False,
    show_numbers: bool = False,
) -> Table:
    """The sessions as a table; with ``versions``, a column of the tree versions that answered
    each (``first → last`` when they differ); typed digits masked unless ``show_numbers``."""
    table = Table(title=title, title_justify="left")
    table.add_column("session", no_wrap=True, min_width=36)
    columns = ["direction", "status", "outcome", "last action", "digits", "start", "end"]
    for column in [*columns, "duration", *(["version"] if versions else [])]:
        table.add_column(column, overflow="fold")
    for row in rows:
        duration = f"{row.duration_seconds:.0f}s" if row.duration_seconds is not None else "-"
        status = row.status if row.error_code is None else f"{row.status} ({row.error_code})"
        cells = [
            row.session_id,
            row.direction or "-",
            status,
            row.outcome or "-",
            row.last_action or "-",
            " ".join(mask_digits(typed, show=show_numbers) for typed in row.digits) or "-",
            _short(row.started_at),
            _short(row.ended_at),
            duration,
        ]
        if versions:
            cells.append(versions_of(row))
        table.add_row(*cells)
    if not rows:
        table.caption = "no sessions recorded yet"
    return table


def dashboard_line(base: str, host: str, token: str | None) -> str:
    """Where the dashboard is, or why it is off (``ivrkit serve``, ``ivrkit dashboard``)."""
    from ivrkit.dashboard._settings import DashboardSettings

    settings = DashboardSettings(host=host, token=token)
    if not settings.served:
        return f"  {settings.refusal}"
    login = "log in with the token" if token else "no login: this machine only"
    return f"  dashboard → {base}/dashboard/ ({login})"
