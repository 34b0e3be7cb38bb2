"""Attempts: recorded before their call is placed, then placed, not placed, or ended with what
follows for their contact (a retry, or the contact's outcome), each step for many attempts in
one transaction.

A worker settles its own attempts, and those of workers whose lease has passed: two live workers
never race each other to end the same attempt.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)

from ivrkit._clock import Clock
from ivrkit.campaigns import _model as m
from ivrkit.campaigns._tables import ATTEMPTS, CAMPAIGNS, CONTACTS, A, C, K, S, W, chunks
from ivrkit.store import IN_PROGRESS, Store
from ivrkit.store import _schema as schema

__all__ = ["Attempts", "Ending", "OpenAttempt", "QUIET_SECONDS"]

QUIET_SECONDS = 5.0
"""A worker's own attempt still being placed after this long is looked for in the store (its
sender gave up on an error that leaves open whether the call exists)."""


@dataclass(frozen=True)
class Ending:
    """How one attempt ends, and what follows for its contact."""

    client_request_id: str
    state: str
    status: str | None
    outcome: str | None
    error_code: int | None
    note: str | None
    retry_at: datetime | None
    """When the contact is called again; None: it ends with ``outcome``."""
    counted: bool
    """Whether the attempt counts toward the campaign's ``attempts``."""
    slow_down: bool = False


@dataclass(frozen=True)
class OpenAttempt:
    """An attempt to settle, with its session as the store knows it."""

    client_request_id: str
    state: str
    placed_at: datetime
    attempts_before: int
    worker: str | None
    found_session: str | None
    status: str | None
    outcome: str | None
    error_code: int | None
    pressed: bool


class Attempts:
    """The attempts of the campaigns in one store; ``wall`` is the time every worker shares."""

    def __init__(self, store: Store, wall: Clock) -> None:
        self.store = store
        self.wall = wall

    def start(
        self, campaign: m.Campaign, contacts: list[m.ClaimedContact], worker: str
    ) -> list[tuple[m.ClaimedContact, str]]:
        """Record one attempt per contact before its call is placed; each contact with its
        clientRequestId, leaving out those whose claim this worker lost."""
        if not contacts:
            return []
        now = self.wall.now()
        mine: set[int] = set()
        seqs: dict[int, int] = {}
        with self.store.transaction() as conn:
            for ids in chunks([c.id for c in contacts]):
                mine.update(
                    row[0]
                    for row in conn.execute(
                        update(CONTACTS)
                        .where(K.id.in_(ids), K.state == m.CLAIMED, K.claimed_by == worker)
                        .values(
                            state=m.CALLING, claimed_by=None, claim_expires=None, updated_at=now
                        )
                        .returning(K.id)
                    )
                )
            if not mine:
                return []
            for ids in chunks(sorted(mine)):
                seqs.update(
                    conn.execute(
                        select(A.contact_id, func.count())
                        .where(A.contact_id.in_(ids))
                        .group_by(A.contact_id)
                    ).all()
                )
            started: list[tuple[m.ClaimedContact, str]] = []
            rows: list[dict[str, Any]] = []
            for contact in contacts:
                if contact.id not in mine:
                    continue
                seq = int(seqs.get(contact.id, 0)) + 1
                request_id = f"c{campaign.id}-{contact.id}-{seq}-{uuid.uuid4().hex[:8]}"
                rows.append(
                    {
                        "contact_id": contact.id,
                        "number": seq,
                        "client_request_id": request_id,
                        "state": m.PLACING,
                        "worker": worker,
                        "placed_at": now,
                    }
                )
                started.append((contact, request_id))
            conn.execute(ATTEMPTS.insert(), rows)
        return started

    def placed(
        self, campaign: m.Campaign, sessions: list[tuple[str, str, datetime | None]]
    ) -> None:
        """Attempts the platform created a session for: ``(clientRequestId, sessionId, when the
        request was sent)``; each lets the campaign's adaptive rate recover a little."""
        if not sessions:
            return
        with self.store.transaction() as conn:
            conn.execute(
                update(ATTEMPTS)
                .where(A.client_request_id == bindparam("b_rid"), A.state == m.PLACING)
                .values(
                    state=m.PLACED,
                    session_id=bindparam("b_sid"),
                    placed_at=func.coalesce(
                        bindparam("b_sent", type_=A.placed_at.type), A.placed_at
                    ),
                ),
                [{"b_rid": rid, "b_sid": sid, "b_sent": sent} for rid, sid, sent in sessions],
            )
            rate = campaign.settings.rate
            least = func.least if self.store.dialect == "postgresql" else func.min
            step = rate / 50.0 * len(sessions)
            # Only a slowed-down campaign is written: at full rate the row is not even locked.
            conn.execute(
                update(CAMPAIGNS)
                .where(C.id == campaign.id, C.current_rate < rate)
                .values(current_rate=least(C.current_rate + step, rate))
            )

    def not_placed(
        self,
        campaign: m.Campaign,
        request_ids: list[str],
        *,
        due: datetime,
        note: str,
        hold_seconds: float | None = None,
    ) -> None:
        """No call was made (a 429, or no trace of it): the contacts wait until ``due`` and are
        not charged an attempt; ``hold_seconds`` holds the whole campaign and halves its rate."""
        if not request_ids:
            return
        now = self.wall.now()
        with self.store.transaction() as conn:
            closed = _close(
                conn,
                [
                    {
                        "b_rid": rid,
                        "b_state": m.NOT_PLACED,
                        "b_status": None,
                        "b_outcome": None,
                        "b_code": None,
                        "b_note": note,
                        "b_ended": now,
                    }
                    for rid in request_ids
                ],
            )
            if closed:
                conn.execute(
                    update(CONTACTS)
                    .where(K.id == bindparam("b_id"))
                    .values(state=m.PENDING, due_at=due, updated_at=now),
                    [{"b_id": contact_id} for contact_id in closed.values()],
                )
            if hold_seconds is not None:
                self._slow_down(conn, campaign, now + timedelta(seconds=hold_seconds))

    def end(self, campaign: m.Campaign, endings: list[Ending], now: datetime) -> None:
        """Attempts ended (``now`` is business time): each contact is retried at its
        ``retry_at`` or ends with its outcome. An attempt another worker ended first is left."""
        if not endings:
            return
        ended_at = self.wall.now()
        with self.store.transaction() as conn:
            closed = _close(
                conn,
                [
                    {
                        "b_rid": e.client_request_id,
                        "b_state": e.state,
                        "b_status": e.status,
                        "b_outcome": e.outcome,
                        "b_code": e.error_code,
                        "b_note": e.note,
                        "b_ended": ended_at,
                    }
                    for e in endings
                ],
            )
            contacts = [
                {
                    "b_id": closed[e.client_request_id],
                    "b_state": m.PENDING if e.retry_at is not None else m.ENDED,
                    "b_due": e.retry_at,
                    "b_add": 1 if e.counted else 0,
                    "b_outcome": e.outcome,
                }
                for e in endings
                if e.client_request_id in closed
            ]
            if contacts:
                conn.execute(
                    update(CONTACTS)
                    .where(K.id == bindparam("b_id"))
                    .values(
                        state=bindparam("b_state"),
                        due_at=func.coalesce(bindparam("b_due", type_=K.due_at.type), K.due_at),
                        attempts=K.attempts + bindparam("b_add"),
                        outcome=bindparam("b_outcome"),
                        updated_at=now,
                    ),
                    contacts,
                )
            if any(e.slow_down for e in endings if e.client_request_id in closed):
                self._slow_down(conn, campaign, ended_at + timedelta(seconds=1))

    def to_settle(
        self, campaign: m.Campaign, worker: str, *, catch_up: int | None = None
    ) -> tuple[list[OpenAttempt], int]:
        """The open attempts of this worker and of workers gone (their lease passed) that may be
        settled now, and how many of them are open in all.

        Settled now: placed attempts whose session ended or whose summary is overdue, and
        attempts being placed that are not fresh ones of this worker (whose sender records
        them). A placed attempt finds its session by id, one being placed by its
        clientRequestId.

        The projections are caught up with the log first; with ``catch_up``, by at most that
        many log rows (0: not at all; a running webhook server projects its log within a
        second)."""
        s = campaign.settings
        current = self.wall.now()
        live = select(W.worker).where(
            W.campaign_id == campaign.id,
            W.worker != worker,
            W.heartbeat_at >= current - timedelta(seconds=s.worker_lease),
        )
        mine = or_(A.worker.is_(None), A.worker.not_in(live))
        pressed = (
            select(func.count())
            .select_from(schema.session_digits)
            .where(schema.session_digits.c.session_id == S.session_id)
            .where(schema.session_digits.c.digits != "")
            .scalar_subquery()
        )
        columns = (
            A.client_request_id,
            A.state,
            A.placed_at,
            A.worker,
            K.attempts,
            S.session_id.label("found_session"),
            S.status,
            S.outcome,
            S.error_code,
            pressed.label("pressed"),
        )
        attempts = ATTEMPTS.join(CONTACTS, K.id == A.contact_id)
        overdue = current - timedelta(seconds=s.summary_timeout)
        by_id = (
            select(*columns)
            .select_from(attempts.outerjoin(schema.sessions, S.session_id == A.session_id))
            .where(
                K.campaign_id == campaign.id,
                A.state == m.PLACED,
                mine,
                or_(and_(S.status.is_not(None), S.status != IN_PROGRESS), A.placed_at < overdue),
            )
        )
        quiet = current - timedelta(seconds=QUIET_SECONDS)
        by_request = (
            select(*columns)
            .select_from(
                attempts.outerjoin(schema.sessions, S.client_request_id == A.client_request_id)
            )
            .where(
                K.campaign_id == campaign.id,
                A.state == m.PLACING,
                mine,
                or_(A.worker != worker, A.worker.is_(None), A.placed_at < quiet),
            )
        )
        count = (
            select(func.count())
            .select_from(attempts)
            .where(K.campaign_id == campaign.id, A.state.in_([m.PLACING, m.PLACED]), mine)
        )
        with self.store.reading(catch_up=catch_up) as conn:
            rows = [*conn.execute(by_id).mappings(), *conn.execute(by_request).mappings()]
            open_count = int(conn.execute(count).scalar_one())
        found = [
            OpenAttempt(
                client_request_id=row["client_request_id"],
                state=row["state"],
                placed_at=row["placed_at"],
                attempts_before=row["attempts"],
                worker=row["worker"],
                found_session=row["found_session"],
                status=row["status"],
                outcome=row["outcome"],
                error_code=row["error_code"],
                pressed=bool(row["pressed"]),
            )
            for row in rows
        ]
        return found, open_count

    def _slow_down(self, conn: Connection, campaign: m.Campaign, hold_until: datetime) -> None:
        floor = campaign.settings.rate * 0.05
        bigger = func.greatest if self.store.dialect == "postgresql" else func.max
        conn.execute(
            update(CAMPAIGNS)
            .where(C.id == campaign.id)
            .values(current_rate=bigger(C.current_rate / 2.0, floor), hold_until=hold_until)
        )


def _close(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """End the attempts of ``rows`` that are still open; their contact ids by clientRequestId
    (an attempt another worker ended first is left out)."""
    open_ones: dict[str, int] = {}
    for rids in chunks([row["b_rid"] for row in rows]):
        open_ones.update(
            (rid, contact_id)
            for rid, contact_id in conn.execute(
                select(A.client_request_id, A.contact_id)
                .where(A.client_request_id.in_(rids), A.state.in_([m.PLACING, m.PLACED]))
                .with_for_update()
            )
        )
    closing = [row for row in rows if row["b_rid"] in open_ones]
    if closing:
        conn.execute(
            update(ATTEMPTS)
            .where(A.client_request_id == bindparam("b_rid"))
            .values(
                state=bindparam("b_state"),
                status=bindparam("b_status"),
                outcome=bindparam("b_outcome"),
                error_code=bindparam("b_code"),
                note=bindparam("b_note"),
                ended_at=bindparam("b_ended"),
            ),
            closing,
        )
    return {row["b_rid"]: open_ones[row["b_rid"]] for row in closing}
