"""Recorded calls, read back for replay: each ended session with the CALL_ACTION events it
answered, in the order they arrived."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from ivrkit.store import convert, schema
from ivrkit.store.records import IN_PROGRESS, SessionRecord
from ivrkit.store.sql import IN_CHUNK, Store, session_digits

__all__ = ["Exchange", "RecordedSession", "recorded_sessions"]

_S = schema.sessions.c
_D = schema.deliveries.c


@dataclass(frozen=True)
class Exchange:
    """One answered CALL_ACTION: the event's body as received and the JSON answered."""

    body: str
    answer: str | None


@dataclass(frozen=True)
class RecordedSession:
    """An ended session and the CALL_ACTION events it answered, oldest first (a retried event
    counts once)."""

    record: SessionRecord
    exchanges: tuple[Exchange, ...]


def recorded_sessions(
    store: Store, *, since: datetime | None = None, limit: int | None = None
) -> list[RecordedSession]:
    """The ended sessions that started at ``since`` or later (all when None), the newest
    ``limit`` of them (all when None), returned oldest first (by start, then session id)."""
    query = select(schema.sessions).where(_S.status != IN_PROGRESS)
    if since is not None:
        query = query.where(_S.started_at >= since)
    query = query.order_by(_S.started_at.desc().nulls_last(), _S.id.desc())
    if limit is not None:
        query = query.limit(max(limit, 0))
    with store.transaction() as conn:
        rows = conn.execute(query).mappings().all()
        ids = [row["session_id"] for row in rows]
        digits = session_digits(conn, ids)
        bodies = _call_actions(conn, ids)
    found = [
        RecordedSession(
            record=convert.session_from_row(row, digits.get(row["session_id"], [])),
            exchanges=tuple(bodies.get(row["session_id"], [])),
        )
        for row in rows
    ]
    found.sort(key=lambda recorded: (_start_key(recorded.record), recorded.record.session_id))
    return found


def _start_key(record: SessionRecord) -> str:
    return record.started_at.isoformat() if record.started_at is not None else ""


def _call_actions(conn: Connection, session_ids: Sequence[str]) -> dict[str, list[Exchange]]:
    """Answered CALL_ACTION events (the first delivery of each: ``answered_event_id``)."""
    found: dict[str, list[Exchange]] = {}
    for start in range(0, len(session_ids), IN_CHUNK):
        query = (
            select(_D.session_id, _D.body, _D.answer)
            .where(
                _D.session_id.in_(session_ids[start : start + IN_CHUNK]),
                _D.answered_event_id.is_not(None),
            )
            .order_by(_D.id)
        )
        for session_id, body, answer in conn.execute(query):
            found.setdefault(session_id, []).append(Exchange(body=body, answer=answer))
    return found
