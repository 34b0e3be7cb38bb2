"""What the campaign pages show: each campaign's progress (contacts called, skipped, cancelled,
still to call), its settings, and the contacts still to call with when and why.

Contacts are read from the campaign tables of the store (as :mod:`ivrkit.dashboard._browse`
reads sessions); what a campaign is and what changing its state does belong to
:class:`ivrkit.campaigns.CampaignStore`, which the pages' actions call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ivrkit.campaigns import Campaign, CampaignStatus, CampaignStore
from ivrkit.campaigns import _model as m
from ivrkit.campaigns._catalog import due_times
from ivrkit.store import Store
from ivrkit.store import _schema as schema

__all__ = [
    "ACTIONS",
    "CampaignPage",
    "Pending",
    "Progress",
    "campaign_page",
    "progress_of",
]

PENDING_ROWS = 200
"""Most contacts still to call listed on a campaign's page (the count says how many in all)."""

ACTIONS: dict[str, tuple[str, str]] = {
    # action: (the state it asks for, what the confirmation says it does)
    "pause": (m.PAUSED, "No new calls are placed until it is resumed; calls under way go on."),
    "resume": (m.ACTIVE, "Its workers place calls again, inside each contact's window."),
    "cancel": (
        m.CANCELLED,
        "Every contact not yet called ends as cancelled. This cannot be undone.",
    ),
}
_FROM: dict[str, tuple[str, ...]] = {
    "pause": (m.ACTIVE,),
    "resume": (m.PAUSED,),
    "cancel": (m.ACTIVE, m.PAUSED),
}

_K = schema.campaign_contacts.c
_A = schema.campaign_attempts.c


@dataclass(frozen=True)
class Progress:
    """Where a campaign's contacts are: each is in exactly one of these."""

    total: int
    called: int
    """Finished with an outcome after its calls (ended)."""
    skipped: int
    """Never dialled: on the do-not-call list."""
    cancelled: int
    """Not called because the campaign was cancelled."""
    open: int
    """Still to call, or being called."""
    calls: int

    @property
    def finished(self) -> int:
        return self.called + self.skipped + self.cancelled

    @property
    def share(self) -> float:
        """The share of contacts finished (0 to 1)."""
        return self.finished / self.total if self.total else 1.0


def progress_of(status: CampaignStatus) -> Progress:
    states = status.by_state
    return Progress(
        total=status.total,
        called=states.get(m.ENDED, 0),
        skipped=states.get(m.SKIPPED, 0),
        cancelled=states.get(m.CONTACT_CANCELLED, 0),
        open=sum(states.get(state, 0) for state in m.OPEN_STATES),
        calls=status.calls_placed,
    )


@dataclass(frozen=True)
class Pending:
    """A contact still to call."""

    line: int
    number: str
    state: str
    attempts: int
    next_at: datetime | None
    """When its next call may be placed (its due time, moved to its window's opening)."""
    reason: str
    """Why it waits: its first call, a retry after what the last call ended with, its window."""


@dataclass(frozen=True)
class CampaignPage:
    campaign: Campaign
    status: CampaignStatus
    progress: Progress
    pending: list[Pending]
    pending_total: int
    zones: list[str]
    """The contacts' time zones (each is called inside the window of its own)."""
    actions: list[str]
    """What may be done to it now (pause, resume, cancel)."""
    settings: list[tuple[str, str | datetime]]


def allowed_actions(state: str) -> list[str]:
    return [action for action, states in _FROM.items() if state in states]


def campaign_page(store: Store, name: str, now: datetime) -> CampaignPage:
    """The page of the campaign ``name`` (CampaignError when there is none)."""
    campaigns = CampaignStore(store)
    campaign = campaigns.get(name)
    status = campaigns.status(campaign, now)
    window = campaign.settings.calling_window()
    due = due_times(campaign)  # the campaign's own rule for when a contact may be called
    open_states = list(m.OPEN_STATES)
    with store.reading() as conn:
        rows = (
            conn.execute(
                select(_K.id, _K.line, _K.number, _K.state, _K.attempts, _K.due_at, _K.note)
                .add_columns(_K.timezones)
                .where(_K.campaign_id == campaign.id, _K.state.in_(open_states))
                .order_by(_K.due_at, _K.line, _K.id)
                .limit(PENDING_ROWS)
            )
            .mappings()
            .all()
        )
        pending_total = conn.execute(
            select(func.count()).where(_K.campaign_id == campaign.id, _K.state.in_(open_states))
        ).scalar_one()
        zones = sorted(
            {
                zone
                for (text,) in conn.execute(
                    select(_K.timezones).where(_K.campaign_id == campaign.id).distinct()
                )
                for zone in str(text).split(",")
                if zone
            }
        )
        last = _last_attempts(conn, [row["id"] for row in rows if row["attempts"]])
    pending = [_pending(row, last.get(row["id"]), due, window.describe(), now) for row in rows]
    return CampaignPage(
        campaign=campaign,
        status=status,
        progress=progress_of(status),
        pending=pending,
        pending_total=int(pending_total),
        zones=zones,
        actions=allowed_actions(campaign.state),
        settings=_settings(campaign, window.describe()),
    )


def _last_attempts(conn: Any, contact_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The last attempt of each contact: what it ended with."""
    if not contact_ids:
        return {}
    found: dict[int, dict[str, Any]] = {}
    query = (
        select(_A.contact_id, _A.number, _A.state, _A.status, _A.outcome, _A.note)
        .where(_A.contact_id.in_(contact_ids))
        .order_by(_A.contact_id, _A.number)
    )
    for row in conn.execute(query).mappings():
        found[row["contact_id"]] = dict(row)
    return found


def _pending(
    row: Any,
    last: dict[str, Any] | None,
    due: Callable[[datetime, str], datetime | None],
    window: str,
    now: datetime,
) -> Pending:
    """A contact still to call: when it may be called next (``due``: the campaign's rule, its
    due time moved to its calling window's opening) and why it waits."""
    state = row["state"]
    next_at: datetime | None = row["due_at"]
    if state == m.CLAIMED:
        reason = "a worker is about to call"
    elif state == m.CALLING:
        reason = "on a call now"
        next_at = None
    else:
        moment = max(row["due_at"], now)
        next_at = due(row["due_at"], str(row["timezones"]))
        if row["attempts"] == 0:
            reason = "first call"
        else:
            ended = (last or {}).get("outcome") or (last or {}).get("status") or "no answer"
            reason = f"retry after {str(ended).lower().replace('_', ' ')}"
        if next_at is None:
            reason += f"; its time zones share no calling window ({window})"
        elif next_at > moment:
            reason += f"; waits for its calling window ({window})"
        if row["note"]:
            reason += f"; {row['note']}"
    return Pending(
        line=row["line"],
        number=row["number"],
        state=state,
        attempts=row["attempts"],
        next_at=next_at,
        reason=reason,
    )


def _settings(campaign: Campaign, window: str) -> list[tuple[str, str | datetime]]:
    s = campaign.settings
    shown: list[tuple[str, str | datetime]] = [
        ("Tree", s.flow),
        ("Calling window", f"{window}, in each contact's own time zone"),
        ("Rate", f"at most {s.rate * 60:g} calls a minute, {s.max_concurrent} at once"),
        ("Attempts", f"up to {s.attempts} per contact, {_duration(s.retry_after)} apart"),
        ("Numbers read as", s.region),
    ]
    if s.start is not None:
        shown.append(("Starts", s.start))
    if s.end is not None:
        shown.append(("Ends", s.end))
    return shown


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
