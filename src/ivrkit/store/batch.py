"""Writing many CALL_ACTION deliveries in one transaction (the server's group commit).

One query finds which events are already stored, then each table gets one executemany: a
batch of a hundred events costs little more than one. A concurrent writer in another process
can still win a race for an event; the unique index then fails the whole batch, and the caller
falls back to :meth:`Store.record_vca` one delivery at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from ivrkit.store import convert, schema
from ivrkit.store.records import Delivery, SessionUpdate
from ivrkit.store.statements import Statements

CHUNK = 500
"""Most ids in one IN (...) list, well under every database's parameter limit."""


def write_vca(
    conn: Connection, sql: Statements, items: Sequence[tuple[Delivery, SessionUpdate | None]]
) -> int:
    """Store every delivery whose event is not stored yet; returns how many were new."""
    event_ids = [d.event_id for d, _ in items if d.event_id is not None]
    known = _stored_events(conn, event_ids)
    deliveries: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    digits: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for delivery, update in items:
        if delivery.event_id is not None:
            if delivery.event_id in known:
                continue
            known.add(delivery.event_id)
        if update is not None and delivery.session_id is None:
            delivery = replace(delivery, session_id=update.session_id)
        values = convert.delivery_values(delivery)
        values["answered_event_id"] = delivery.event_id
        deliveries.append(values)
        if update is None:
            continue
        sessions.append(convert.session_values(update, now))
        if update.digits:
            digits.append(convert.digits_values(update))
    if deliveries:
        conn.execute(sql.insert_delivery_plain, deliveries)
    if sessions:  # executemany applies them in order: each may update a row an earlier made
        conn.execute(sql.upsert_session_from_vca, sessions)
    if digits:
        conn.execute(sql.insert_digits, digits)
    return len(deliveries)


def _stored_events(conn: Connection, event_ids: list[str]) -> set[str]:
    found: set[str] = set()
    column = schema.deliveries.c.answered_event_id
    for start in range(0, len(event_ids), CHUNK):
        chunk = event_ids[start : start + CHUNK]
        found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
    return found
