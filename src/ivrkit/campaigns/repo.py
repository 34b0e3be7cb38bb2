"""Campaigns in the store: creating them, claiming contacts, recording attempts, reporting.

Every method is one transaction. Claims take the campaign row first (``FOR UPDATE`` on
PostgreSQL), so the pacing slots and the count of calls in progress are shared exactly by every
worker, then the due contacts with ``FOR UPDATE SKIP LOCKED``. SQLite (one worker) ignores both.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update

from ivrkit.campaigns import model as m
from ivrkit.campaigns.contacts import ContactList
from ivrkit.errors import CampaignError, WorkerConflict
from ivrkit.store import Store, schema

_C = schema.campaigns.c
_K = schema.campaign_contacts.c
_A = schema.campaign_attempts.c
_W = schema.campaign_workers.c
_S = schema.sessions.c
_DG = schema.session_digits.c

CLAIM_BATCH = 200
"""Most contacts one claim takes."""


def wall() -> datetime:
    """Wall time, for what workers on several machines compare (claims, heartbeats, slots)."""
    return datetime.now(UTC)


class CampaignStore:
    """Campaign tables of one :class:`~ivrkit.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- campaigns ---------------------------------------------------------------------------

    def create(
        self, name: str, settings: m.CampaignSettings, contacts: ContactList, now: datetime
    ) -> m.Campaign:
        """A new campaign with its contacts (do-not-call ones kept as skipped)."""
        import re

        if not re.match(m.NAME_PATTERN, name):
            raise CampaignError(
                f"campaign name {name!r} must be 1-64 letters, digits, '_', '.' or '-'"
            )
        due = max(now, settings.start) if settings.start else now
        with self.store.transaction() as conn:
            if conn.execute(select(_C.id).where(_C.name == name)).first() is not None:
                raise CampaignError(f"a campaign named {name!r} exists already; choose another")
            campaign_id = conn.execute(
                insert(schema.campaigns).returning(_C.id),
                {
                    "name": name,
                    "state": m.ACTIVE,
                    "flow": settings.flow,
                    "settings": settings.model_dump(mode="json"),
                    "created_at": now,
                    "current_rate": settings.rate,
                },
            ).scalar_one()
            rows: list[dict[str, Any]] = []
            for contact, state, outcome in [
                *((c, m.PENDING, None) for c in contacts.contacts),
                *((c, m.SKIPPED, m.DNC_OUTCOME) for c in contacts.do_not_call),
            ]:
                rows.append(
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
                )
            for start in range(0, len(rows), 1000):
                conn.execute(insert(schema.campaign_contacts), rows[start : start + 1000])
        return self.get(name)

    def get(self, name: str) -> m.Campaign:
        with self.store.transaction() as conn:
            row = conn.execute(select(schema.campaigns).where(_C.name == name)).mappings().first()
        if row is None:
            raise CampaignError(f"no campaign named {name!r} (ivrkit campaign list shows them)")
        return _campaign(row)

    def all(self) -> list[m.Campaign]:
        with self.store.transaction() as conn:
            rows = conn.execute(select(schema.campaigns).order_by(_C.id)).mappings().all()
        return [_campaign(row) for row in rows]

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
            conn.execute(update(schema.campaigns).where(_C.id == campaign.id).values(state=state))
            if state == m.CANCELLED:
                conn.execute(
                    update(schema.campaign_contacts)
                    .where(_K.campaign_id == campaign.id, _K.state.in_([m.PENDING, m.CLAIMED]))
                    .values(
                        state=m.CONTACT_CANCELLED,
                        outcome=m.CANCELLED_OUTCOME,
                        claimed_by=None,
                        updated_at=now,
                    )
                )
        return self.get(name)

    def finish_if_done(self, campaign: m.Campaign) -> bool:
        """Mark the campaign done when no contact is open; whether it is finished."""
        with self.store.transaction() as conn:
            open_count = conn.execute(
                select(func.count())
                .select_from(schema.campaign_contacts)
                .where(_K.campaign_id == campaign.id, _K.state.in_(m.OPEN_STATES))
            ).scalar_one()
            if open_count:
                return False
            conn.execute(
                update(schema.campaigns)
                .where(_C.id == campaign.id, _C.state == m.ACTIVE)
                .values(state=m.DONE)
            )
        return True

    # -- workers -----------------------------------------------------------------------------

    def join(self, campaign: m.Campaign, worker: str, host: str, pid: int, lease: float) -> None:
        """Register a worker; on SQLite, refuse a second live one."""
        now = wall()
        with self.store.transaction() as conn:
            conn.execute(
                delete(schema.campaign_workers).where(
                    _W.heartbeat_at < now - timedelta(seconds=lease)
                )
            )
            if self.store.dialect == "sqlite":
                other = conn.execute(
                    select(_W.worker, _W.host, _W.pid).where(_W.campaign_id == campaign.id)
                ).first()
                if other is not None:
                    raise WorkerConflict(
                        f"campaign {campaign.name!r} is already run by worker {other.worker} "
                        f"(pid {other.pid} on {other.host}); a SQLite store runs one worker "
                        "per campaign: stop it, wait for its lease to pass, or use PostgreSQL"
                    )
            conn.execute(
                insert(schema.campaign_workers),
                {
                    "worker": worker,
                    "campaign_id": campaign.id,
                    "host": host,
                    "pid": pid,
                    "started_at": now,
                    "heartbeat_at": now,
                },
            )

    def heartbeat(self, worker: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                update(schema.campaign_workers)
                .where(_W.worker == worker)
                .values(heartbeat_at=wall())
            )

    def leave(self, worker: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(delete(schema.campaign_workers).where(_W.worker == worker))

    # -- claiming and calling ----------------------------------------------------------------

    def claim(
        self, campaign: m.Campaign, worker: str, now: datetime, limit: int = CLAIM_BATCH
    ) -> list[m.ClaimedContact]:
        """Take the contacts due now and inside their window, as many as the concurrency
        limit and the next second of pacing slots allow; each gets its slot (wall time)."""
        s = campaign.settings
        window = s.calling_window()
        started = wall()
        with self.store.transaction() as conn:
            row = (
                conn.execute(select(schema.campaigns).where(_C.id == campaign.id).with_for_update())
                .mappings()
                .one()
            )
            if row["state"] != m.ACTIVE:
                return []
            if s.end is not None and now >= s.end:
                self._expire(conn, campaign.id, now)
                return []
            busy = conn.execute(
                select(func.count())
                .select_from(schema.campaign_contacts)
                .where(_K.campaign_id == campaign.id, _K.state.in_([m.CLAIMED, m.CALLING]))
            ).scalar_one()
            rate = max(float(row["current_rate"]), s.rate * 0.01)
            slot = max(started, row["next_slot_at"] or started, row["hold_until"] or started)
            room = min(limit, s.max_concurrent - busy, int(rate) + 1)
            if room <= 0 or (slot - started).total_seconds() > 1.0:
                return []
            candidates = (
                conn.execute(
                    select(_K.id, _K.number, _K.variables, _K.attempts, _K.timezones)
                    .where(
                        _K.campaign_id == campaign.id,
                        or_(
                            and_(_K.state == m.PENDING, _K.due_at <= now),
                            and_(_K.state == m.CLAIMED, _K.claim_expires < started),
                        ),
                    )
                    .order_by(_K.due_at, _K.id)
                    .limit(room * 4)
                    .with_for_update(skip_locked=True)
                )
                .mappings()
                .all()
            )
            claimed: list[m.ClaimedContact] = []
            expires = started + timedelta(seconds=s.claim_seconds)
            for contact in candidates:
                zones = contact["timezones"].split(",")
                if not window.is_open(now, zones):
                    opens = window.next_open(now, zones)
                    if opens is None or (s.end is not None and opens >= s.end):
                        self._end(
                            conn, contact["id"], m.NO_WINDOW_OUTCOME, now, note=window.describe()
                        )
                    else:
                        conn.execute(
                            update(schema.campaign_contacts)
                            .where(_K.id == contact["id"])
                            .values(state=m.PENDING, due_at=opens, claimed_by=None, updated_at=now)
                        )
                    continue
                if len(claimed) >= room:
                    continue
                conn.execute(
                    update(schema.campaign_contacts)
                    .where(_K.id == contact["id"])
                    .values(
                        state=m.CLAIMED, claimed_by=worker, claim_expires=expires, updated_at=now
                    )
                )
                claimed.append(
                    m.ClaimedContact(
                        id=contact["id"],
                        number=contact["number"],
                        variables=dict(contact["variables"] or {}),
                        attempts=contact["attempts"],
                        slot=slot + timedelta(seconds=len(claimed) / rate),
                    )
                )
            if claimed:
                conn.execute(
                    update(schema.campaigns)
                    .where(_C.id == campaign.id)
                    .values(next_slot_at=slot + timedelta(seconds=len(claimed) / rate))
                )
        return claimed

    def start_attempts(
        self, campaign: m.Campaign, contacts: list[m.ClaimedContact], worker: str
    ) -> list[tuple[m.ClaimedContact, str]]:
        """Record one attempt per contact before its call is placed (one transaction); each
        contact with its clientRequestId, leaving out those whose claim this worker lost."""
        if not contacts:
            return []
        now = wall()
        ids = [c.id for c in contacts]
        with self.store.transaction() as conn:
            mine = {
                row[0]
                for row in conn.execute(
                    select(_K.id).where(
                        _K.id.in_(ids), _K.state == m.CLAIMED, _K.claimed_by == worker
                    )
                )
            }
            if not mine:
                return []
            conn.execute(
                update(schema.campaign_contacts)
                .where(_K.id.in_(mine), _K.state == m.CLAIMED, _K.claimed_by == worker)
                .values(state=m.CALLING, claimed_by=None, claim_expires=None, updated_at=now)
            )
            seqs: dict[int, int] = dict(
                conn.execute(
                    select(_A.contact_id, func.count())
                    .where(_A.contact_id.in_(mine))
                    .group_by(_A.contact_id)
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
            conn.execute(insert(schema.campaign_attempts), rows)
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
                update(schema.campaign_attempts)
                .where(_A.client_request_id == bindparam("rid"), _A.state == m.PLACING)
                .values(
                    state=m.PLACED,
                    session_id=bindparam("sid"),
                    placed_at=func.coalesce(
                        bindparam("sent", type_=_A.placed_at.type), _A.placed_at
                    ),
                ),
                [{"rid": rid, "sid": sid, "sent": sent} for rid, sid, sent in sessions],
            )
            recovered = func.least if self.store.dialect == "postgresql" else func.min
            step = campaign.settings.rate / 50.0 * len(sessions)
            conn.execute(
                update(schema.campaigns)
                .where(_C.id == campaign.id)
                .values(current_rate=recovered(_C.current_rate + step, campaign.settings.rate))
            )

    def not_placed(
        self,
        client_request_id: str,
        campaign: m.Campaign,
        *,
        due: datetime,
        note: str,
        hold_seconds: float | None = None,
    ) -> None:
        """No call was made (429): the contact waits until ``due`` and is not charged an
        attempt; ``hold_seconds`` holds the whole campaign and halves its rate."""
        now = wall()
        with self.store.transaction() as conn:
            contact_id = self._close_attempt(
                conn, client_request_id, m.NOT_PLACED, None, None, None, note
            )
            if contact_id is None:
                return
            conn.execute(
                update(schema.campaign_contacts)
                .where(_K.id == contact_id)
                .values(state=m.PENDING, due_at=due, updated_at=now)
            )
            if hold_seconds is not None:
                self._slow_down(conn, campaign, now + timedelta(seconds=hold_seconds))

    def not_placed_many(
        self, campaign: m.Campaign, request_ids: list[str], *, due: datetime
    ) -> None:
        """Attempts never sent (the campaign was held): their contacts wait until ``due``."""
        for request_id in request_ids:
            self.not_placed(request_id, campaign, due=due, note="held by a 429 before its turn")

    def ended(
        self,
        client_request_id: str,
        campaign: m.Campaign,
        *,
        state: str,
        status: str | None,
        outcome: str | None,
        error_code: int | None,
        note: str | None,
        retry_at: datetime | None,
        counted: bool,
        now: datetime,
        slow_down: bool = False,
    ) -> None:
        """An attempt ended: retry the contact at ``retry_at``, or end it with ``outcome``."""
        with self.store.transaction() as conn:
            contact_id = self._close_attempt(
                conn, client_request_id, state, status, outcome, error_code, note
            )
            if contact_id is None:
                return  # another worker recorded it first
            if retry_at is not None:
                conn.execute(
                    update(schema.campaign_contacts)
                    .where(_K.id == contact_id)
                    .values(
                        state=m.PENDING,
                        due_at=retry_at,
                        attempts=_K.attempts + (1 if counted else 0),
                        outcome=outcome,
                        updated_at=now,
                    )
                )
            else:
                conn.execute(
                    update(schema.campaign_contacts)
                    .where(_K.id == contact_id)
                    .values(
                        state=m.ENDED,
                        attempts=_K.attempts + (1 if counted else 0),
                        outcome=outcome,
                        updated_at=now,
                    )
                )
            if slow_down:
                self._slow_down(conn, campaign, wall() + timedelta(seconds=1))

    def open_attempts(self, campaign: m.Campaign) -> list[dict[str, Any]]:
        """Attempts placed or being placed, with their session as the store knows it (status,
        outcome label, whether digits were pressed) and the contact's attempts so far. A
        placed attempt finds its session by id, one being placed by its clientRequestId."""
        pressed = (
            select(func.count())
            .select_from(schema.session_digits)
            .where(_DG.session_id == _S.session_id, _DG.digits != "")
            .scalar_subquery()
        )
        columns = (
            _A.client_request_id,
            _A.state,
            _A.placed_at,
            _A.session_id,
            _K.attempts,
            _S.session_id.label("found_session"),
            _S.status,
            _S.outcome,
            _S.error_code,
            pressed.label("pressed"),
        )
        attempts = schema.campaign_attempts.join(schema.campaign_contacts, _K.id == _A.contact_id)
        by_id = (
            select(*columns)
            .select_from(attempts.outerjoin(schema.sessions, _S.session_id == _A.session_id))
            .where(_K.campaign_id == campaign.id, _A.state == m.PLACED)
        )
        by_request = (
            select(*columns)
            .select_from(
                attempts.outerjoin(schema.sessions, _S.client_request_id == _A.client_request_id)
            )
            .where(_K.campaign_id == campaign.id, _A.state == m.PLACING)
        )
        with self.store.transaction() as conn:
            found = [dict(row) for row in conn.execute(by_id).mappings()]
            found += [dict(row) for row in conn.execute(by_request).mappings()]
        return found

    # -- reading -----------------------------------------------------------------------------

    def status(self, campaign: m.Campaign) -> m.CampaignStatus:
        now = wall()
        with self.store.transaction() as conn:
            states: dict[str, int] = dict(
                conn.execute(
                    select(_K.state, func.count())
                    .where(_K.campaign_id == campaign.id)
                    .group_by(_K.state)
                ).all()
            )
            outcomes: dict[str | None, int] = dict(
                conn.execute(
                    select(_K.outcome, func.count())
                    .where(
                        _K.campaign_id == campaign.id,
                        _K.state.in_([m.ENDED, m.SKIPPED, m.CONTACT_CANCELLED]),
                    )
                    .group_by(_K.outcome)
                ).all()
            )
            attempts = (
                select(_A.placed_at)
                .join(schema.campaign_contacts, _K.id == _A.contact_id)
                .where(_K.campaign_id == campaign.id, _A.state != m.NOT_PLACED)
            )
            placed = conn.execute(
                select(func.count()).select_from(attempts.subquery())
            ).scalar_one()
            recent = conn.execute(
                select(func.count()).select_from(
                    attempts.where(_A.placed_at >= now - timedelta(minutes=10)).subquery()
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
        with self.store.transaction() as conn:
            contacts = (
                conn.execute(
                    select(schema.campaign_contacts)
                    .where(_K.campaign_id == campaign.id)
                    .order_by(_K.line, _K.id)
                )
                .mappings()
                .all()
            )
            attempts = (
                conn.execute(
                    select(schema.campaign_attempts)
                    .join(schema.campaign_contacts, _K.id == _A.contact_id)
                    .where(_K.campaign_id == campaign.id)
                    .order_by(_A.contact_id, _A.number)
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

    def idle(self, campaign: m.Campaign, now: datetime) -> bool:
        """Whether nothing is in progress and nothing is due at ``now`` (business time)."""
        with self.store.transaction() as conn:
            busy = conn.execute(
                select(func.count())
                .select_from(schema.campaign_contacts)
                .where(
                    _K.campaign_id == campaign.id,
                    or_(
                        _K.state.in_([m.CLAIMED, m.CALLING]),
                        and_(_K.state == m.PENDING, _K.due_at <= now),
                    ),
                )
            ).scalar_one()
        return int(busy) == 0

    def outcome_counts(self, campaign: m.Campaign) -> Counter[str]:
        return Counter(report.outcome or report.state for report in self.report(campaign))

    # -- plumbing ----------------------------------------------------------------------------

    def _close_attempt(
        self,
        conn: Connection,
        client_request_id: str,
        state: str,
        status: str | None,
        outcome: str | None,
        error_code: int | None,
        note: str | None,
    ) -> int | None:
        """End an open attempt; its contact's id, or None when it was already ended."""
        row = conn.execute(
            update(schema.campaign_attempts)
            .where(_A.client_request_id == client_request_id, _A.state.in_([m.PLACING, m.PLACED]))
            .values(
                state=state,
                status=status,
                outcome=outcome,
                error_code=error_code,
                note=note,
                ended_at=wall(),
            )
            .returning(_A.contact_id)
        ).first()
        return None if row is None else int(row[0])

    def _slow_down(self, conn: Connection, campaign: m.Campaign, hold_until: datetime) -> None:
        floor = campaign.settings.rate * 0.05
        bigger = func.greatest if self.store.dialect == "postgresql" else func.max
        conn.execute(
            update(schema.campaigns)
            .where(_C.id == campaign.id)
            .values(current_rate=bigger(_C.current_rate / 2.0, floor), hold_until=hold_until)
        )

    def _end(
        self,
        conn: Connection,
        contact_id: int,
        outcome: str,
        now: datetime,
        note: str | None = None,
    ) -> None:
        conn.execute(
            update(schema.campaign_contacts)
            .where(_K.id == contact_id)
            .values(state=m.ENDED, outcome=outcome, note=note, claimed_by=None, updated_at=now)
        )

    def _expire(self, conn: Connection, campaign_id: int, now: datetime) -> None:
        conn.execute(
            update(schema.campaign_contacts)
            .where(_K.campaign_id == campaign_id, _K.state.in_([m.PENDING, m.CLAIMED]))
            .values(state=m.ENDED, outcome=m.EXPIRED_OUTCOME, claimed_by=None, updated_at=now)
        )


def _campaign(row: Any) -> m.Campaign:
    return m.Campaign(
        id=row["id"],
        name=row["name"],
        state=row["state"],
        settings=m.CampaignSettings.model_validate(row["settings"]),
        created_at=row["created_at"],
    )


__all__ = ["CampaignStore", "wall"]
