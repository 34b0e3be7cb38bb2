"""The campaigns as their owner sees them: creating one, editing, pausing, resuming or cancelling
it (each recorded with who did it), and reading its status, its report, its changes and the list
of campaigns. What workers do while calling (claims,
attempts, leases) is in :mod:`~ivrkit.campaigns._claims`, :mod:`~ivrkit.campaigns._attempts` and
:mod:`~ivrkit.campaigns._leases`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from ivrkit._clock import Clock, SystemClock
from ivrkit.campaigns import _model as m
from ivrkit.campaigns._contacts import ContactList
from ivrkit.campaigns._editing import EDITABLE, apply_edit, paused_wait, read_changes, record
from ivrkit.campaigns._outlook import outlook
from ivrkit.campaigns._tables import (
    ATTEMPTS,
    CAMPAIGNS,
    CONTACTS,
    A,
    C,
    K,
    W,
    campaign_from_row,
)
from ivrkit.errors import CampaignError
from ivrkit.store import Store

__all__ = ["EDITABLE", "CampaignStore"]
REUSABLE = (m.CANCELLED, m.DONE)
"""States whose campaign gives its name up to a new one (and is kept as ``name~id``)."""


class CampaignStore:
    """The campaigns kept in one :class:`~ivrkit.store.Store`; every method is one transaction.

    ``wall`` is the time shared by every worker (by default the system clock): the status's
    recent call rate is counted in it.
    """

    def __init__(self, store: Store, *, wall: Clock | None = None) -> None:
        self.store = store
        self.wall: Clock = wall or SystemClock()

    # -- what the owner does ---------------------------------------------------------------

    def create(
        self,
        name: str,
        settings: m.CampaignSettings,
        contacts: ContactList,
        now: datetime,
        *,
        actor: str = "unknown",
    ) -> m.Campaign:
        """A new campaign with its contacts (do-not-call ones kept as skipped). The name of a
        cancelled or done campaign is free: that campaign is renamed ``name~id`` (and keeps its
        contacts, report and changes); an active or paused one keeps its name."""
        if not re.match(m.NAME_PATTERN, name):
            raise CampaignError(
                f"campaign name {name!r} must be 1-64 letters, digits, '_', '.' or '-'"
            )
        due = max(now, settings.start) if settings.start else now
        with self.store.transaction() as conn:
            held = conn.execute(select(C.id, C.state).where(C.name == name)).first()
            if held is not None and held.state not in REUSABLE:
                raise CampaignError(
                    f"a campaign named {name!r} is {held.state}; cancel it first "
                    f"(ivrkit campaign cancel {name}) or choose another name"
                )
            if held is not None:
                kept = f"{name[: 63 - len(str(held.id))]}~{held.id}"
                conn.execute(update(CAMPAIGNS).where(C.id == held.id).values(name=kept))
                record(conn, held.id, now, actor, m.RENAMED, None, name, kept)
            campaign_id = conn.execute(
                insert(CAMPAIGNS).returning(C.id),
                {
                    "name": name,
                    "state": m.ACTIVE,
                    "flow": settings.flow,
                    "settings": settings.model_dump(mode="json"),
                    "created_at": now,
                    "current_rate": settings.rate,
                },
            ).scalar_one()
            record(conn, campaign_id, now, actor, m.CREATED)
            rows: list[dict[str, Any]] = [
                {
                    "campaign_id": campaign_id,
                    "line": contact.line,
                    "number": contact.number,
                    "variables": contact.variables,
                    "timezones": ",".join(contact.timezones),
                    "state": state,
                    "due_at": due,
                    "attempts": 0,
                    "outcome": outcome,
                    "updated_at": now,
                }
                for contact, state, outcome in [
                    *((c, m.PENDING, None) for c in contacts.contacts),
                    *((c, m.SKIPPED, m.DNC_OUTCOME) for c in contacts.do_not_call),
                ]
            ]
            for start in range(0, len(rows), 1000):
                conn.execute(insert(CONTACTS), rows[start : start + 1000])
        return self.get(name)

    def set_state(
        self, name: str, state: str, now: datetime, *, actor: str = "unknown"
    ) -> m.Campaign:
        """Pause, resume or cancel; cancelling ends every contact not yet called. Recorded as
        a change by ``actor``."""
        campaign = self.get(name)
        allowed = {
            m.PAUSED: (m.ACTIVE,),
            m.ACTIVE: (m.PAUSED,),
            m.CANCELLED: (m.ACTIVE, m.PAUSED),
        }[state]
        with self.store.transaction() as conn:
            # Read again under the row's lock: two owners (a CLI, the dashboard) may act at once.
            current = conn.execute(
                select(C.state).where(C.id == campaign.id).with_for_update()
            ).scalar_one()
            if current not in allowed:
                raise CampaignError(f"campaign {name!r} is {current}; it cannot become {state}")
            conn.execute(update(CAMPAIGNS).where(C.id == campaign.id).values(state=state))
            record(conn, campaign.id, now, actor, m.STATE_ACTIONS[state])
            if state == m.CANCELLED:
                conn.execute(
                    update(CONTACTS)
                    .where(K.campaign_id == campaign.id, K.state.in_([m.PENDING, m.CLAIMED]))
                    .values(
                        state=m.CONTACT_CANCELLED,
                        outcome=m.CANCELLED_OUTCOME,
                        claimed_by=None,
                        updated_at=now,
                    )
                )
        return self.get_by_id(campaign.id)

    def pause(self, name: str, now: datetime, *, actor: str = "unknown") -> m.Campaign:
        """Stop placing calls (calls in progress end normally); workers wait for a resume."""
        return self.set_state(name, m.PAUSED, now, actor=actor)

    def resume(self, name: str, now: datetime, *, actor: str = "unknown") -> m.Campaign:
        """Place calls again after a pause: waiting workers go on by themselves."""
        return self.set_state(name, m.ACTIVE, now, actor=actor)

    def cancel(self, name: str, now: datetime, *, actor: str = "unknown") -> m.Campaign:
        """End the campaign: contacts not yet called end as cancelled; its name is free."""
        return self.set_state(name, m.CANCELLED, now, actor=actor)

    def edit(
        self,
        name: str,
        changes: Mapping[str, Any],
        now: datetime,
        *,
        actor: str = "unknown",
    ) -> tuple[m.Campaign, list[m.CampaignChange]]:
        """Change settings of an active or paused campaign (keys of :data:`EDITABLE`; ``end``
        None removes the end); each setting that changed is recorded, old → new.

        A new rate applies from the next call (and resets a slow-down); a new window or days
        apply to the contacts not yet called at once (those waiting for the old window's
        opening become due now), and to retries from their due time; fewer attempts end the
        contacts that have had them (with their last outcome)."""
        campaign = self.get(name)
        with self.store.transaction() as conn:
            done = apply_edit(conn, campaign, changes, now, actor)
        return self.get_by_id(campaign.id), done

    # -- what the owner reads --------------------------------------------------------------

    # The campaign's row is no projection of the log: reading it needs no catch-up (a worker
    # reads it every round).

    def get(self, name: str) -> m.Campaign:
        with self.store.reading(catch_up=0) as conn:
            row = conn.execute(select(CAMPAIGNS).where(C.name == name)).mappings().first()
        if row is None:
            raise CampaignError(f"no campaign named {name!r} (ivrkit campaign list shows them)")
        return campaign_from_row(row)

    def get_by_id(self, campaign_id: int) -> m.Campaign:
        """The campaign by its id, which stays when its name is given to a new campaign."""
        with self.store.reading(catch_up=0) as conn:
            row = conn.execute(select(CAMPAIGNS).where(C.id == campaign_id)).mappings().first()
        if row is None:
            raise CampaignError(f"no campaign with id {campaign_id}")
        return campaign_from_row(row)

    def all(self) -> list[m.Campaign]:
        with self.store.reading() as conn:
            rows = conn.execute(select(CAMPAIGNS).order_by(C.id)).mappings().all()
        return [campaign_from_row(row) for row in rows]

    def waiting(self, campaign: m.Campaign, now: datetime | None = None) -> m.Wait | None:
        """What the campaign waits for at ``now`` (business time; by default the wall
        clock's), None when it places calls."""
        wall_now = self.wall.now()
        with self.store.reading() as conn:
            ahead = outlook(conn, campaign, now or wall_now, wall_now, with_eta=False)
            if campaign.state != m.PAUSED:
                return ahead.wait
            return paused_wait(campaign, read_changes(conn, campaign.id), ahead.zone, 0)

    def changes(self, campaign: m.Campaign) -> list[m.CampaignChange]:
        """What was done to the campaign, oldest first."""
        with self.store.reading() as conn:
            return read_changes(conn, campaign.id)

    def workers(self, campaign: m.Campaign) -> list[m.WorkerInfo]:
        """The workers running the campaign (worker, host, pid) whose lease has not passed."""
        since = self.wall.now() - timedelta(seconds=campaign.settings.worker_lease)
        with self.store.reading() as conn:
            rows = conn.execute(
                select(W.worker, W.host, W.pid)
                .where(W.campaign_id == campaign.id, W.heartbeat_at >= since)
                .order_by(W.started_at)
            ).all()
        return [m.WorkerInfo(row.worker, row.host, int(row.pid)) for row in rows]

    def status(self, campaign: m.Campaign, now: datetime | None = None) -> m.CampaignStatus:
        """Contacts by state and outcome, the recent rate, the next due time, what the campaign
        waits for, its ETA and its changes, at ``now`` (by default the wall clock's)."""
        wall_now = self.wall.now()
        now = now or wall_now
        with self.store.reading() as conn:
            ahead = outlook(conn, campaign, now, wall_now)
            changes = read_changes(conn, campaign.id)
            states: dict[str, int] = dict(
                conn.execute(
                    select(K.state, func.count())
                    .where(K.campaign_id == campaign.id)
                    .group_by(K.state)
                ).all()
            )
            outcomes: dict[str | None, int] = dict(
                conn.execute(
                    select(K.outcome, func.count())
                    .where(
                        K.campaign_id == campaign.id,
                        K.state.in_([m.ENDED, m.SKIPPED, m.CONTACT_CANCELLED]),
                    )
                    .group_by(K.outcome)
                ).all()
            )
            attempts = (
                select(A.placed_at)
                .join(CONTACTS, K.id == A.contact_id)
                .where(K.campaign_id == campaign.id, A.state != m.NOT_PLACED)
            )
            placed = conn.execute(
                select(func.count()).select_from(attempts.subquery())
            ).scalar_one()
            recent = conn.execute(
                select(func.count()).select_from(
                    attempts.where(A.placed_at >= now - timedelta(minutes=10)).subquery()
                )
            ).scalar_one()
        total = sum(states.values())
        remaining = sum(states.get(state, 0) for state in m.OPEN_STATES)
        wait = paused_wait(campaign, changes, ahead.zone, remaining) or ahead.wait
        eta = ahead.eta if remaining else None
        return m.CampaignStatus(
            name=campaign.name,
            state=campaign.state,
            total=total,
            by_state={str(k): int(v) for k, v in sorted(states.items())},
            by_outcome={
                str(k): int(v) for k, v in sorted(outcomes.items(), key=lambda i: str(i[0]))
            },
            calls_placed=int(placed),
            rate_per_minute=recent / 10.0,
            eta_seconds=(
                0.0
                if not remaining
                else (max((eta - now).total_seconds(), 0.0) if eta is not None else None)
            ),
            next_due=ahead.next_due,
            zone=ahead.zone,
            wait=wait,
            eta=eta,
            changes=changes,
        )

    def report(self, campaign: m.Campaign) -> list[m.ContactReport]:
        """Every contact with its attempts, in the order of the contact list."""
        with self.store.reading() as conn:
            contacts = (
                conn.execute(
                    select(CONTACTS).where(K.campaign_id == campaign.id).order_by(K.line, K.id)
                )
                .mappings()
                .all()
            )
            attempts = (
                conn.execute(
                    select(ATTEMPTS)
                    .join(CONTACTS, K.id == A.contact_id)
                    .where(K.campaign_id == campaign.id)
                    .order_by(A.contact_id, A.number)
                )
                .mappings()
                .all()
            )
        by_contact: dict[int, list[m.AttemptRecord]] = {}
        for a in attempts:
            by_contact.setdefault(a["contact_id"], []).append(
                m.AttemptRecord(
                    number=a["number"],
                    client_request_id=a["client_request_id"],
                    session_id=a["session_id"],
                    state=a["state"],
                    status=a["status"],
                    outcome=a["outcome"],
                    error_code=a["error_code"],
                    placed_at=a["placed_at"],
                    ended_at=a["ended_at"],
                    note=a["note"],
                )
            )
        due = due_times(campaign)
        return [
            m.ContactReport(
                line=c["line"],
                number=c["number"],
                variables=dict(c["variables"] or {}),
                timezones=c["timezones"].split(","),
                state=c["state"],
                outcome=c["outcome"] if c["state"] not in m.OPEN_STATES else None,
                attempts=by_contact.get(c["id"], []),
                note=c["note"],
                due_at=due(c["due_at"], c["timezones"]) if c["state"] in m.OPEN_STATES else None,
            )
            for c in contacts
        ]

    def outcome_counts(self, campaign: m.Campaign) -> Counter[str]:
        return Counter(report.outcome or report.state for report in self.report(campaign))


def due_times(campaign: m.Campaign) -> Callable[[datetime, str], datetime | None]:
    """When an open contact may be called, from its due time (a retry, the start) and zones:
    moved to its calling window's opening; None when its zones share no window. Contacts due at
    the same time in the same zones are worked out once."""
    s = campaign.settings
    window = s.calling_window()

    @functools.cache
    def due(at: datetime, zones: str) -> datetime | None:
        start = max(at, s.start) if s.start is not None else at
        return window.next_open(start, [zone for zone in zones.split(",") if zone] or ["UTC"])

    return due
