"""Recorded calls, read back for replay: each ended session with the path steps the webhook
server recorded as it answered (where the caller was, the digits, the route taken), or, for a
session recorded before path steps existed, the CALL_ACTION bodies it answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, and_, select

from ivrkit.store import _convert as convert
from ivrkit.store import _schema as schema
from ivrkit.store._records import IN_PROGRESS, SessionRecord
from ivrkit.store._sql import IN_CHUNK, Store

__all__ = ["Exchange", "RecordedSession", "RecordedStep", "recorded_sessions"]

_S = schema.sessions.c
_D = schema.deliveries.c
_P = schema.path_steps.c
_DIGITS = schema.session_digits.c

PAGE = 1000
"""Rows fetched from the database at a time: a page is decoded and dropped before the next one
is fetched, so a long replay keeps few rows alive (and the garbage collector has few to walk)."""

FALLBACK = "fallback"
"""The delivery outcome of an answer the server gave from the entry menu after a failure."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One answered CALL_ACTION: the event's body as received and the JSON answered."""

    body: str
    answer: str | None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
    ``limit`` of them (all when None), returned oldest first (by start, then session id).

    One query per table, whatever the number of sessions: each reads the rows of the chosen
    sessions through the same selection (no list of ids goes back to the database, but the
    few sessions without path steps, whose bodies are read by id), a page of rows at a time."""
    ended = _S.status != IN_PROGRESS
    if since is not None:
        ended = and_(ended, _S.started_at >= since)
    chosen = select(_S.session_id).where(ended)
    sessions = select(schema.sessions).where(ended)
    if limit is not None:
        chosen = chosen.order_by(_S.started_at.desc().nulls_last(), _S.id.desc())
        chosen = chosen.limit(max(limit, 0))
        sessions = select(schema.sessions).where(_S.session_id.in_(chosen))
    with store.reading() as conn:
        digits = _digits(conn, chosen)
        steps = _steps(conn, chosen)
        fallbacks = _fallbacks(conn, chosen)
        records = [
            convert.session_from_row(row, digits.get(row["session_id"], ()))
            for row in conn.execute(sessions).mappings().yield_per(PAGE)
        ]
        # A store written before path steps existed: every session is read from its bodies.
        # Otherwise only the few without a step (those that never reached the tree) are.
        unstepped = [r.session_id for r in records if r.session_id not in steps]
        bodies = _call_actions(conn, chosen if not steps else unstepped)
    found = [
        RecordedSession(
            record=record,
            exchanges=tuple(bodies.get(record.session_id, ())),
            steps=tuple(steps.get(record.session_id, ())),
            fallback=record.session_id in fallbacks,
        )
        for record in records
    ]
    found.sort(key=lambda recorded: (_start_key(recorded.record), recorded.record.session_id))
    return found


def _start_key(record: SessionRecord) -> str:
    return record.started_at.isoformat() if record.started_at is not None else ""


def _digits(conn: Connection, chosen: Select[tuple[str]]) -> dict[str, list[str]]:
    """The digits of the chosen sessions, in arrival order (as :func:`session_digits`)."""
    query = (
        select(_DIGITS.session_id, _DIGITS.digits)
        .where(_DIGITS.session_id.in_(chosen))
        .order_by(_DIGITS.at, _DIGITS.id)
    )
    found: dict[str, list[str]] = {}
    for session_id, digits in conn.execute(query).yield_per(PAGE):
        found.setdefault(session_id, []).append(digits)
    return found


def _steps(conn: Connection, chosen: Select[tuple[str]]) -> dict[str, list[RecordedStep]]:
    query = (
        select(_P.session_id, _P.at, _P.flow, _P.version, _P.heard, _P.replay, _P.digits)
        .add_columns(_P.route)
        .where(_P.session_id.in_(chosen))
        .order_by(_P.id)
    )
    found: dict[str, list[RecordedStep]] = {}
    for session_id, at, flow, version, heard, replay, digits, route in conn.execute(
        query
    ).yield_per(PAGE):
        found.setdefault(session_id, []).append(
            RecordedStep(at, flow, version, heard, replay, digits, route)
        )
    return found


def _fallbacks(conn: Connection, chosen: Select[tuple[str]]) -> set[str]:
    query = (
        select(_D.session_id).distinct().where(_D.session_id.in_(chosen), _D.outcome == FALLBACK)
    )
    return set(conn.execute(query).scalars().all())


def _call_actions(
    conn: Connection, sessions: Select[tuple[str]] | Sequence[str]
) -> dict[str, list[Exchange]]:
    """Answered CALL_ACTION events (the first delivery of each: ``answered_event_id``) of the
    chosen sessions, or of the sessions listed (IN_CHUNK ids a query)."""
    if isinstance(sessions, Select):
        groups: list[Select[tuple[str]] | Sequence[str]] = [sessions]
    else:
        groups = [sessions[at : at + IN_CHUNK] for at in range(0, len(sessions), IN_CHUNK)]
    found: dict[str, list[Exchange]] = {}
    for group in groups:
        query = (
            select(_D.session_id, _D.body, _D.answer)
            .where(_D.session_id.in_(group), _D.answered_event_id.is_not(None))
            .order_by(_D.id)
        )
        for session_id, body, answer in conn.execute(query).yield_per(PAGE):
            found.setdefault(session_id, []).append(Exchange(body=body, answer=answer))
    return found
