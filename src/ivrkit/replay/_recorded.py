"""Recorded calls, read back for replay: each ended session with the path steps the webhook
server recorded as it answered (where the caller was, the digits, the route taken), or, for a
session recorded before path steps existed, the CALL_ACTION bodies it answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from ivrkit.store import _convert as convert
from ivrkit.store import _schema as schema
from ivrkit.store._records import IN_PROGRESS, SessionRecord
from ivrkit.store._sql import IN_CHUNK, Store, session_digits

__all__ = ["Exchange", "RecordedSession", "RecordedStep", "recorded_sessions"]

_S = schema.sessions.c
_D = schema.deliveries.c
_P = schema.path_steps.c

FALLBACK = "fallback"
"""The delivery outcome of an answer the server gave from the entry menu after a failure."""


@dataclass(frozen=True)
class Exchange:
    """One answered CALL_ACTION: the event's body as received and the JSON answered."""

    body: str
    answer: str | None


@dataclass(frozen=True)
class RecordedStep:
    """One answered CALL_ACTION as the server recorded it (a row of ``ivrkit_path_steps``)."""

    at: datetime
    flow: str
    version: str
    heard: str | None
    """The node the caller was at when the event came (None: a new inbound call)."""
    replay: int
    """How often that node had been asked again."""
    digits: str | None
    route: str | None
    """How the answer left ``heard`` (a :class:`~ivrkit.trees.RouteKind` value)."""


@dataclass(frozen=True)
class RecordedSession:
    """An ended session and what it recorded, oldest first (a retried event counts once):
    its path steps, or, when it has none (recorded before path steps existed), the
    CALL_ACTION events it answered."""

    record: SessionRecord
    exchanges: tuple[Exchange, ...] = ()
    steps: tuple[RecordedStep, ...] = ()
    fallback: bool = False
    """Whether any of its CALL_ACTIONs was answered with the entry menu after a failure."""


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
        steps = _steps(conn, ids)
        fallbacks = _fallbacks(conn, ids)
        bodies = _call_actions(conn, [sid for sid in ids if sid not in steps])
    found = [
        RecordedSession(
            record=convert.session_from_row(row, digits.get(row["session_id"], [])),
            exchanges=tuple(bodies.get(row["session_id"], ())),
            steps=tuple(steps.get(row["session_id"], ())),
            fallback=row["session_id"] in fallbacks,
        )
        for row in rows
    ]
    found.sort(key=lambda recorded: (_start_key(recorded.record), recorded.record.session_id))
    return found


def _start_key(record: SessionRecord) -> str:
    return record.started_at.isoformat() if record.started_at is not None else ""


def _steps(conn: Connection, session_ids: Sequence[str]) -> dict[str, list[RecordedStep]]:
    found: dict[str, list[RecordedStep]] = {}
    for start in range(0, len(session_ids), IN_CHUNK):
        query = (
            select(_P.session_id, _P.at, _P.flow, _P.version, _P.heard, _P.replay, _P.digits)
            .add_columns(_P.route)
            .where(_P.session_id.in_(session_ids[start : start + IN_CHUNK]))
            .order_by(_P.id)
        )
        for session_id, at, flow, version, heard, replay, digits, route in conn.execute(query):
            found.setdefault(session_id, []).append(
                RecordedStep(at, flow, version, heard, replay, digits, route)
            )
    return found


def _fallbacks(conn: Connection, session_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(session_ids), IN_CHUNK):
        query = select(_D.session_id).where(
            _D.session_id.in_(session_ids[start : start + IN_CHUNK]), _D.outcome == FALLBACK
        )
        found.update(conn.execute(query).scalars())
    return found


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
