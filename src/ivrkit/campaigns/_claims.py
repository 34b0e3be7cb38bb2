"""Claiming contacts: which are due now and inside their calling window, as many as the
concurrency limit and the campaign's pacing slots allow; and when a campaign is finished.

A claim takes the campaign row first (``FOR UPDATE`` on PostgreSQL), so the pacing slots and the
count of calls in progress are shared exactly by every worker, then the due contacts with
``FOR UPDATE SKIP LOCKED``, and marks them in one statement: the campaign row is held for a few
statements, not one per contact, so a second worker adds throughput. SQLite (one worker)
ignores both locks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update

from ivrkit._clock import Clock
from ivrkit.campaigns import _model as m
from ivrkit.campaigns._tables import CAMPAIGNS, CONTACTS, C, K, chunks
from ivrkit.store import Store

__all__ = ["CLAIM_BATCH", "SLOTS_AHEAD", "Claims"]

CLAIM_BATCH = 200
"""Most contacts one claim takes."""
SLOTS_AHEAD = 1.0
"""Seconds of pacing slots a campaign hands out ahead of the wall clock."""


class Claims:
    """Claims on the contacts of the campaigns in one store; ``wall`` is the time every worker
    shares (claims expire in it, slots are given in it)."""

    def __init__(self, store: Store, wall: Clock) -> None:
        self.store = store
        self.wall = wall

    def claim(
        self, campaign: m.Campaign, worker: str, now: datetime, limit: int = CLAIM_BATCH
    ) -> list[m.ClaimedContact]:
        """Take the contacts due at ``now`` (business time) and inside their window, as many as
        the concurrency limit and the next second of pacing slots allow; each gets its slot."""
        s = campaign.settings
        started = self.wall.now()
        with self.store.transaction() as conn:
            row = conn.execute(
                select(C.state, C.current_rate, C.next_slot_at, C.hold_until)
                .where(C.id == campaign.id)
                .with_for_update()
            ).one()
            if row.state != m.ACTIVE:
                return []
            if s.end is not None and now >= s.end:
                _expire(conn, campaign.id, now)
                return []
            rate = max(float(row.current_rate), s.rate * 0.01)
            slot = max(started, row.next_slot_at or started, row.hold_until or started)
            if (slot - started).total_seconds() > SLOTS_AHEAD:
                return []
            busy = conn.execute(
                select(func.count())
                .select_from(CONTACTS)
                .where(K.campaign_id == campaign.id, K.state.in_([m.CLAIMED, m.CALLING]))
            ).scalar_one()
            room = min(limit, s.max_concurrent - busy, int(rate) + 1)
            if room <= 0:
                return []
            claimed = self._take(conn, campaign, worker, now, started, room, slot, rate)
            if claimed:
                conn.execute(
                    update(CAMPAIGNS)
                    .where(C.id == campaign.id)
                    .values(next_slot_at=slot + timedelta(seconds=len(claimed) / rate))
                )
        return claimed

    def _take(
        self,
        conn: Connection,
        campaign: m.Campaign,
        worker: str,
        now: datetime,
        started: datetime,
        room: int,
        slot: datetime,
        rate: float,
    ) -> list[m.ClaimedContact]:
        s = campaign.settings
        window = s.calling_window()
        columns = (K.id, K.number, K.variables, K.attempts, K.timezones)
        # Claims another worker let expire first, then the due contacts in the order they fell
        # due (the index's order: no sort of every pending contact).
        candidates = list(
            conn.execute(
                select(*columns)
                .where(
                    K.campaign_id == campaign.id,
                    K.state == m.CLAIMED,
                    K.claim_expires < started,
                )
                .limit(room * 4)
                .with_for_update(skip_locked=True)
            ).mappings()
        )
        if len(candidates) < room * 4:
            candidates += conn.execute(
                select(*columns)
                .where(K.campaign_id == campaign.id, K.state == m.PENDING, K.due_at <= now)
                .order_by(K.due_at)
                .limit(room * 4 - len(candidates))
                .with_for_update(skip_locked=True)
            ).mappings()
        claimed: list[m.ClaimedContact] = []
        later: list[dict[str, Any]] = []
        for contact in candidates:
            zones = contact["timezones"].split(",")
            if not window.is_open(now, zones):
                opens = window.next_open(now, zones)
                if opens is None or (s.end is not None and opens >= s.end):
                    conn.execute(
                        update(CONTACTS)
                        .where(K.id == contact["id"])
                        .values(
                            state=m.ENDED,
                            outcome=m.NO_WINDOW_OUTCOME,
                            note=window.describe(),
                            claimed_by=None,
                            updated_at=now,
                        )
                    )
                else:
                    later.append({"b_id": contact["id"], "b_due": opens})
                continue
            if len(claimed) >= room:
                continue
            claimed.append(
                m.ClaimedContact(
                    id=contact["id"],
                    number=contact["number"],
                    variables=dict(contact["variables"] or {}),
                    attempts=contact["attempts"],
                    slot=slot + timedelta(seconds=len(claimed) / rate),
                )
            )
        if later:
            conn.execute(
                update(CONTACTS)
                .where(K.id == bindparam("b_id"))
                .values(
                    state=m.PENDING, due_at=bindparam("b_due"), claimed_by=None, updated_at=now
                ),
                later,
            )
        expires = started + timedelta(seconds=s.claim_seconds)
        for ids in chunks([c.id for c in claimed]):
            conn.execute(
                update(CONTACTS)
                .where(K.id.in_(ids))
                .values(state=m.CLAIMED, claimed_by=worker, claim_expires=expires, updated_at=now)
            )
        return claimed

    def idle(self, campaign: m.Campaign, now: datetime) -> bool:
        """Whether nothing is in progress and nothing is due at ``now`` (business time)."""
        with self.store.reading() as conn:
            busy = conn.execute(
                select(func.count())
                .select_from(CONTACTS)
                .where(
                    K.campaign_id == campaign.id,
                    or_(
                        K.state.in_([m.CLAIMED, m.CALLING]),
                        and_(K.state == m.PENDING, K.due_at <= now),
                    ),
                )
            ).scalar_one()
        return int(busy) == 0

    def finish_if_done(self, campaign: m.Campaign) -> bool:
        """Mark the campaign done when no contact is open; whether it is finished."""
        with self.store.transaction() as conn:
            open_count = conn.execute(
                select(func.count())
                .select_from(CONTACTS)
                .where(K.campaign_id == campaign.id, K.state.in_(m.OPEN_STATES))
            ).scalar_one()
            if open_count:
                return False
            conn.execute(
                update(CAMPAIGNS)
                .where(C.id == campaign.id, C.state == m.ACTIVE)
                .values(state=m.DONE)
            )
        return True


def _expire(conn: Connection, campaign_id: int, now: datetime) -> None:
    """The campaign's end passed: every contact not yet called ends as expired."""
    conn.execute(
        update(CONTACTS)
        .where(K.campaign_id == campaign_id, K.state.in_([m.PENDING, m.CLAIMED]))
        .values(state=m.ENDED, outcome=m.EXPIRED_OUTCOME, claimed_by=None, updated_at=now)
    )
