"""The campaigns as their owner sees them: creating one, pausing, resuming or cancelling it, and
reading its status, its report and the list of campaigns. What workers do while calling (claims,
attempts, leases) is in :mod:`~ivrkit.campaigns._claims`, :mod:`~ivrkit.campaigns._attempts` and
:mod:`~ivrkit.campaigns._leases`.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from ivrkit._clock import Clock, SystemClock
from ivrkit.campaigns import _model as m
from ivrkit.campaigns._contacts import ContactList
from ivrkit.campaigns._tables import ATTEMPTS, CAMPAIGNS, CONTACTS, A, C, K, campaign_from_row
from ivrkit.errors import CampaignError
from ivrkit.store import Store

__all__ = ["CampaignStore"]


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
        self, name: str, settings: m.CampaignSettings, contacts: ContactList, now: datetime
    ) -> m.Campaign:
        """A new campaign with its contacts (do-not-call ones kept as skipped)."""
        if not re.match(m.NAME_PATTERN, name):
            raise CampaignError(
                f"campaign name {name!r} must be 1-64 letters, digits, '_', '.' or '-'"
            )
        due = max(now, settings.start) if settings.start else now
        with self.store.transaction() as conn:
            if conn.execute(select(C.id).where(C.name == name)).first() is not None:
                raise CampaignError(f"a campaign named {name!r} exists already; choose another")
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

    def set_state(self, name: str, state: str, now: datetime) -> m.Campaign:
        """Pause, resume or cancel; cancelling ends every contact not yet called."""
        campaign = self.get(name)
        allowed = {
            m.PAUSED: (m.ACTIVE,),
            m.ACTIVE: (m.PAUSED,),
            m.CANCELLED: (m.ACTIVE, m.PAUSED),
        }[state]
        if campaign.state not in allowed:
            raise CampaignError(f"campaign {name!r} is {campaign.state}; it cannot become {state}")
        with self.store.transaction() as conn:
            conn.execute(update(CAMPAIGNS).where(C.id == campaign.id).values(state=state))
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
        return self.get(name)

    # -- what the owner reads --------------------------------------------------------------

    def get(self, name: str) -> m.Campaign:
        with self.store.reading() as conn:
            row = conn.execute(select(CAMPAIGNS).where(C.name == name)).mappings().first()
        if row is None:
            raise CampaignError(f"no campaign named {name!r} (ivrkit campaign list shows them)")
        return campaign_from_row(row)

    def all(self) -> list[m.Campaign]:
        with self.store.reading() as conn:
            rows = conn.execute(select(CAMPAIGNS).order_by(C.id)).mappings().all()
        return [campaign_from_row(row) for row in rows]

    def status(self, campaign: m.Campaign) -> m.CampaignStatus:
        now = self.wall.now()
        with self.store.reading() as conn:
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
        per_minute = recent / 10.0
        eta = (
            remaining / (per_minute / 60.0)
            if per_minute > 0 and remaining
            else (0.0 if not remaining else None)
        )
        return m.CampaignStatus(
            name=campaign.name,
            state=campaign.state,
            total=total,
            by_state={str(k): int(v) for k, v in sorted(states.items())},
            by_outcome={
                str(k): int(v) for k, v in sorted(outcomes.items(), key=lambda i: str(i[0]))
            },
            calls_placed=int(placed),
            rate_per_minute=per_minute,
            eta_seconds=eta,
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
            )
            for c in contacts
        ]

    def outcome_counts(self, campaign: m.Campaign) -> Counter[str]:
        return Counter(report.outcome or report.state for report in self.report(campaign))
