"""How the CLI shows things: tables, JSON shapes, redacted URLs."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console

from ivrkit import rules
from ivrkit._cli.screen import Column, FittedTable, for_people
from ivrkit._masking import mask_digits, mask_number

if TYPE_CHECKING:
    from ivrkit.store import SessionRecord


def wide(console: Console) -> Console:
    """The console for what a person reads (:func:`ivrkit._cli.screen.for_people`): words
    wrapped at the terminal's width on a terminal, nothing wrapped to a file or pipe."""
    return for_people(console)


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


SESSION_COLUMNS = (
    Column("session", fold=True),
    Column("direction", keep=7),
    Column("status"),
    Column("outcome", keep=1),
    Column("last action", keep=5),
    Column("digits", keep=3),
    Column("start", keep=2),
    Column("end", keep=8),
    Column("duration", keep=4, justify="right"),
)
"""The columns of a sessions table; on a narrow terminal the highest ``keep`` goes first
(the end before the direction, the direction before the version …)."""
VERSION_COLUMN = Column("version", keep=2)
"""Asked for (``--versions``): as important as the start."""


def sessions_table(
    rows: list[SessionRecord],
    title: str = "Sessions",
    *,
    versions: bool = False,
    show_numbers: bool = False,
) -> FittedTable:
    """The sessions as a table; with ``versions``, a column of the tree versions that answered
    each (``first → last`` when they differ); typed digits masked unless ``show_numbers``."""
    columns = [*SESSION_COLUMNS, *([VERSION_COLUMN] if versions else [])]
    cells: list[list[str]] = []
    for row in rows:
        duration = f"{row.duration_seconds:.0f}s" if row.duration_seconds is not None else "-"
        status = row.status if row.error_code is None else f"{row.status} ({row.error_code})"
        line = [
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
            line.append(versions_of(row))
        cells.append(line)
    return FittedTable(columns, cells, title=title or None, empty="no sessions recorded yet")


def dashboard_line(base: str, host: str, token: str | None) -> str:
    """Where the dashboard is, or why it is off (``ivrkit serve``, ``ivrkit dashboard``)."""
    from ivrkit.dashboard._settings import DashboardSettings

    settings = DashboardSettings(host=host, token=token)
    if not settings.served:
        return f"  {settings.refusal}"
    login = "log in with the token" if token else "no login: this machine only"
    return f"  dashboard → {base}/dashboard/ ({login})"
