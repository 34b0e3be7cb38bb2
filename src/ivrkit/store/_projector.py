"""The projections of the event log: sessions, their digits, path steps, summaries with their legs
and the path counters (through the hook analytics registers, :mod:`ivrkit.store._hooks`), built
from ``ivrkit_deliveries`` in the order it was written.

The webhook path appends one row per delivery (a CALL_ACTION's row carries what it tells about
its session as ``facts``) and answers once that append has committed; everything a reader sees
beside the raw deliveries is built here afterwards, a batch at a time, with the position reached
(``ivrkit_projections``) written in the same transaction as what the batch built. After a crash
the projector resumes from that position; a rebuild (:func:`rebuild`) empties the projections
and follows the log from its start, and gives the same tables.

The projections trail the log by the time one batch takes (milliseconds while a server runs,
up to about a second while it is busy: :mod:`ivrkit.server._projecting`;
:meth:`ivrkit.store.Store.catch_up` waits for them). Session variables are not a projection:
an answer reads them, so the append writes them with the delivery.

On PostgreSQL several replicas append at once and ids are handed out before their transactions
commit, so a row with a lower id may become visible after one with a higher id. Appends hold a
shared advisory lock for their transaction; the projector takes it exclusively for the moment
it reads the next rows, so every row below the highest one it reads has committed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, delete, func, select, text, update

from ivrkit.store import _convert as convert
from ivrkit.store import _schema as schema
from ivrkit.store._hooks import Counters
from ivrkit.store._records import IN_PROGRESS, SessionUpdate

if TYPE_CHECKING:
    from ivrkit.store._batch import BatchWriter
from ivrkit.store._statements import Statements
from ivrkit.wire._events import SessionSummaryEvent

log = logging.getLogger("ivrkit.store")

NAME = "sessions"
"""The projection's row in ``ivrkit_projections``."""
BATCH = 1000
"""Most log rows projected in one transaction."""
APPEND_LOCK = 0x1F2C_0002
"""PostgreSQL advisory lock: appends hold it shared, the projector's read exclusively. Advisory
locks are database-wide, so the key joins this number with the log table's OID: stores in other
schemas of the same database never wait for each other."""
_APPEND_KEY = (
    "((CAST(:key AS bigint) << 32)"
    f" | CAST(CAST(CAST('{schema.deliveries.name}' AS regclass) AS oid) AS bigint))"
)
DUPLICATE_SUMMARY_NOTE = "a summary of this session was already stored; the first one is kept"

_D = schema.deliveries.c
_S = schema.sessions.c
_P = schema.projections.c
_SUM = schema.summaries.c

_NEXT = (
    select(
        _D.id,
        _D.outcome,
        _D.event_type,
        _D.session_id,
        _D.body,
        _D.facts,
        _D.received_at,
        _D.note,
    )
    .where(_D.id > bindparam("position"))
    .order_by(_D.id)
    .limit(bindparam("limit"))
)
"""The next rows of the log (built once: building a select costs more than running it)."""

_POSITION = select(_P.position).where(_P.name == NAME)
_POSITION_LOCKED = _POSITION.with_for_update()
_MOVE = update(schema.projections).where(_P.name == NAME).values(position=bindparam("p_position"))
_SUMMARISED = select(_SUM.session_id).where(_SUM.session_id.in_(bindparam("ids", expanding=True)))
_ENDED = select(_S.session_id).where(
    _S.session_id.in_(bindparam("ids", expanding=True)), _S.status != IN_PROGRESS
)
"""Built once, like :data:`_NEXT`."""

_MARK_DUPLICATE = (
    update(schema.deliveries)
    .where(_D.id == bindparam("p_id"))
    .values(outcome="duplicate", note=func.coalesce(_D.note, bindparam("p_note")))
)

PROJECTED = (
    schema.path_steps,
    schema.session_digits,
    schema.legs,
    schema.summaries,
)
"""The tables the projector builds from nothing (sessions are rebuilt apart: outbound calls
write theirs directly)."""


def encode_facts(update: SessionUpdate) -> str:
    """What a CALL_ACTION tells about its session, as the log row keeps it."""
    return msgspec.json.encode(update).decode()


_FACTS = msgspec.json.Decoder(SessionUpdate)


def decode_facts(facts: str) -> SessionUpdate:
    return _FACTS.decode(facts)


def lock_for_append(conn: Connection) -> None:
    """Called at the start of every transaction that appends to the log."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(f"SELECT pg_advisory_xact_lock_shared({_APPEND_KEY})"), {"key": APPEND_LOCK}
        )


class ParsedSummaries:
    """Summaries the writer parsed, kept by their body text for the projector, which then does
    not parse them again: the same text gives the same event, so what is projected is what a
    rebuild (which parses every body) projects. A body not found here (another process wrote
    it, or it was stored changed) is parsed. At most ``limit`` are kept, the oldest dropped
    first; each is taken once. Safe from any thread."""

    def __init__(self, limit: int = 4096) -> None:
        self._limit = limit
        self._by_body: OrderedDict[str, SessionSummaryEvent] = OrderedDict()

    def keep(self, body: str, event: SessionSummaryEvent) -> None:
        """``event`` is what ``body`` parses to."""
        self._by_body[body] = event
        if len(self._by_body) > self._limit:
            try:
                self._by_body.popitem(last=False)
            except KeyError:  # another thread took the last one meanwhile
                pass

    def take(self, body: str) -> SessionSummaryEvent | None:
        return self._by_body.pop(body, None)


class Projector:
    """Projects the log for one store (its statements, and the counters it folds ended sessions
    into: ``counters`` is asked for them before every batch, and raises when there are none)."""

    def __init__(
        self,
        sql: Statements,
        writer: BatchWriter,
        counters: Callable[[], Counters],
        parsed: ParsedSummaries | None = None,
    ) -> None:
        self._sql = sql
        self._run = writer.run
        self._counters = counters
        self.parsed = parsed if parsed is not None else ParsedSummaries()
        """Summaries parsed before they were appended (the group commit's)."""

    def position(self, conn: Connection) -> int:
        found = conn.execute(_POSITION).scalar_one_or_none()
        return int(found or 0)

    def behind(self, conn: Connection) -> bool:
        """Whether the log holds rows the projections do not show yet (one query)."""
        last = select(func.max(_D.id)).scalar_subquery()
        position = select(_P.position).where(_P.name == NAME).scalar_subquery()
        found = conn.execute(select(last, position)).one()
        return found[0] is not None and found[0] > (found[1] or 0)

    def project(self, conn: Connection, limit: int = BATCH) -> int:
        """Project the next rows of the log (at most ``limit``) in ``conn``'s transaction, and
        move the position past them; how many rows were read."""
        counters = self._counters()  # before anything moves: no batch passes without its fold
        position = self._locked_position(conn)
        query, params = _NEXT, {"position": position, "limit": limit}
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SELECT pg_advisory_lock({_APPEND_KEY})"), {"key": APPEND_LOCK})
            try:
                rows = conn.execute(query, params).all()
            except BaseException:
                # The lock is the session's, and a failed transaction cannot run the unlock
                # (a read cancelled by statement_timeout while the table is locked): end the
                # session, or the pooled connection keeps it and every append waits forever.
                conn.invalidate()
                raise
            conn.execute(text(f"SELECT pg_advisory_unlock({_APPEND_KEY})"), {"key": APPEND_LOCK})
        else:
            rows = conn.execute(query, params).all()
        if not rows:
            return 0
        self._apply(conn, rows, counters)
        self._move(conn, position, rows[-1].id)
        return len(rows)

    def _apply(self, conn: Connection, rows: Sequence[Any], counters: Counters) -> None:
        # A session already ended that hears of a late event leaves the counters first and comes
        # back with the late event at the end: the counters always count every ended session
        # with everything the log holds of it, however the log was cut into batches.
        touched = sorted({row.session_id for row in rows if row.facts and row.session_id})
        reopened = _ended(conn, touched)
        if reopened:
            counters.fold(conn, reopened, -1)
        # Sessions do not touch each other's rows, so each kind of statement runs once for the
        # batch, in an order that keeps every session's own order: the events before its
        # summary, the summary, the (rare) events after it.
        before: list[tuple[SessionUpdate, datetime]] = []
        after: list[tuple[SessionUpdate, datetime]] = []
        summaries: list[Any] = []
        summarised: set[str] = set()
        for row in rows:
            if row.facts:
                later = row.session_id in summarised
                (after if later else before).append((decode_facts(row.facts), row.received_at))
            elif row.outcome == "summary" and row.event_type == "SESSION_SUMMARY":
                summaries.append(row)
                if row.session_id:
                    summarised.add(row.session_id)
        self._write_updates(conn, before)
        ended = self._write_summaries(conn, summaries)
        self._write_updates(conn, after)
        folded = list(dict.fromkeys([*reopened, *ended]))
        if folded:
            counters.fold(conn, folded, 1)

    def _write_updates(self, conn: Connection, run: list[tuple[SessionUpdate, datetime]]) -> None:
        if not run:
            return
        sessions = [convert.session_values(update, at) for update, at in run]
        digits = [convert.digits_values(update) for update, _ in run if update.digits]
        steps = [step for update, _ in run if (step := convert.step_values(update)) is not None]
        # executemany applies them in order: each may update a row an earlier one made
        self._run(conn, "upsert_session_from_vca", sessions)
        self._run(conn, "insert_digits", digits)
        self._run(conn, "insert_step", steps)

    def _write_summaries(self, conn: Connection, rows: Sequence[Any]) -> list[str]:
        """Keep the first summary of each session with its legs and close the session; mark
        the deliveries of later ones duplicates. The sessions ended."""
        if not rows:
            return []
        parsed: list[tuple[Any, SessionSummaryEvent]] = []
        take = self.parsed.take
        for row in rows:
            known = take(row.body)
            if known is not None:
                parsed.append((row, known))
                continue
            try:
                parsed.append((row, SessionSummaryEvent.model_validate_json(row.body)))
            except ValidationError:
                log.error("the summary in delivery %s does not parse; not projected", row.id)
        ids = sorted({event.payload.session_id for _, event in parsed})
        kept = set(_in(conn, _SUMMARISED, ids))
        first: dict[str, tuple[Any, SessionSummaryEvent]] = {}
        duplicates: list[dict[str, Any]] = []
        for row, event in parsed:
            session_id = event.payload.session_id
            if session_id in kept or session_id in first:
                duplicates.append({"p_id": row.id, "p_note": DUPLICATE_SUMMARY_NOTE})
            else:
                first[session_id] = (row, event)
        if duplicates:
            conn.execute(_MARK_DUPLICATE, duplicates)
        if not first:
            return []
        # The session first: a summary refers to its row.
        closing = [_closing(event, row.received_at) for row, event in first.values()]
        self._run(conn, "upsert_closed_session", closing)
        self._run(
            conn,
            "insert_summary_json",
            [
                {
                    "session_id": sid,
                    "session_status": event.payload.session_status,
                    "received_at": row.received_at,
                    "payload_json": convert.storable_json_text(event.payload.to_wire(), row.body),
                    "version": convert.int64(event.version),
                }
                for sid, (row, event) in first.items()
            ],
        )
        legs = [
            convert.leg_values(sid, name, leg)
            for sid, (_, event) in first.items()
            for name, leg in event.payload.legs.items()
        ]
        self._run(conn, "insert_legs_of_session", legs)
        return list(first)

    def hold(self, conn: Connection) -> None:
        """Lock the position until ``conn``'s transaction ends, as a batch of the projector
        does first: a writer of many session rows that takes it first never deadlocks with
        the projector (SQLite's write transaction already is exclusive)."""
        self._locked_position(conn)

    def _locked_position(self, conn: Connection) -> int:
        """The position, with its row locked until the transaction ends (one projector at a
        time across processes; SQLite's write transaction already is)."""
        query = _POSITION_LOCKED if conn.dialect.name == "postgresql" else _POSITION
        found = conn.execute(query).scalar_one_or_none()
        if found is None:
            self._sql_upsert_position(conn, 0)
            found = conn.execute(query).scalar_one()
        return int(found)

    def _move(self, conn: Connection, old: int, new: int) -> None:
        conn.execute(_MOVE, {"p_position": new})

    def _sql_upsert_position(self, conn: Connection, position: int) -> None:
        conn.execute(self._sql.ensure_projection, {"name": NAME, "position": position})


def _closing(event: SessionSummaryEvent, received_at: datetime) -> dict[str, Any]:
    """The row of a session closed by its summary."""
    payload = event.payload
    leg_a = payload.legs.get("callA")
    errors = payload.error_details
    return {
        "session_id": payload.session_id,
        "status": payload.session_status,
        "sub_account_id": payload.sub_account_id,
        "direction": leg_a.call_direction if leg_a else None,
        "customer": convert.customer_of(leg_a),
        "client_request_id": payload.client_request_id,
        "summary_last_action": payload.last_action,
        "started_at": convert.parse_time(payload.start_time),
        "ended_at": convert.parse_time(payload.end_time),
        "call_count": convert.int64(payload.call_count),
        "error_code": convert.int64(errors.code) if errors else None,
        "error_message": errors.error_msg if errors else None,
        "updated_at": received_at,
    }


def _in(conn: Connection, query: Any, values: Sequence[str]) -> list[Any]:
    """What ``query`` (of an expanding parameter ``ids``) finds for ``values``, 500 at a time."""
    found: list[Any] = []
    for start in range(0, len(values), 500):
        found += conn.execute(query, {"ids": list(values[start : start + 500])}).scalars()
    return found


def _ended(conn: Connection, session_ids: Sequence[str]) -> list[str]:
    return sorted(_in(conn, _ENDED, session_ids))


def clear(conn: Connection) -> None:
    """Empty what the projector builds and move it back to the log's start (a rebuild)."""
    for table in PROJECTED:
        conn.execute(delete(table))
    # Sessions the log knows are rebuilt from it; a session only an outbound call made (no
    # event yet) is kept as it was written.
    logged = select(_D.session_id).where(_D.session_id.is_not(None))
    conn.execute(delete(schema.sessions).where(_S.session_id.in_(logged)))
    conn.execute(
        update(schema.deliveries).where(_D.outcome == "duplicate").values(outcome="summary")
    )
    conn.execute(update(schema.projections).where(_P.name == NAME).values(position=0))


__all__ = [
    "ParsedSummaries",
    "Projector",
    "clear",
    "decode_facts",
    "encode_facts",
    "lock_for_append",
]
