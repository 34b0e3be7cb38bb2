"""Writing many deliveries in one transaction (the server's group commit).

One executemany of a statement compiled once (:mod:`ivrkit.store._prepared`) appends a row per
delivery — CALL_ACTIONs and summaries alike, in the order they came — and another keeps the
session variables answers set: a batch of a hundred deliveries costs two statements, whatever
their mix. An event stored before (answered by another replica, or before a restart) is rare:
the batch is first appended without looking (``look=False``), the unique index on answered
events refuses it when one is, and the store appends it again after one query that finds which
events are already stored (``look=True``). A concurrent writer in another process can still win
a race for an event between that query and the append; the unique index then fails the whole
batch, and the caller falls back to :meth:`Store.record_vca` one delivery at a time, which
waits for the twin's commit and returns its answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from ivrkit.store import _convert as convert
from ivrkit.store import _schema as schema
from ivrkit.store._prepared import Prepared
from ivrkit.store._projector import encode_facts
from ivrkit.store._records import Delivery, SummaryWrite, VcaWrite
from ivrkit.store._statements import Statements

CHUNK = 500
"""Most ids in one IN (...) list, well under every database's parameter limit."""


class BatchWriter:
    """The batch statements of one store, each compiled once for its dialect."""

    def __init__(self, sql: Statements, dialect: Dialect) -> None:
        self._sql = sql
        self._dialect = dialect
        self._prepared: dict[str, Prepared] = {}

    def append(
        self, conn: Connection, items: Sequence[VcaWrite | SummaryWrite], *, look: bool = True
    ) -> list[tuple[Delivery, bool]]:
        """:func:`append` with this store's statements."""
        return append(conn, self, items, look=look)

    def run(self, conn: Connection, name: str, rows: list[dict[str, Any]]) -> None:
        """Run the statement ``name`` of :class:`Statements` once per row, in order."""
        if not rows:
            return
        prepared = self._prepared.get(name)
        if prepared is None:
            statement: ClauseElement = getattr(self._sql, name)
            prepared = Prepared(statement, self._dialect, list(rows[0]))
            self._prepared[name] = prepared
        prepared.executemany(conn, rows)


def summary_values(delivery: Delivery) -> dict[str, Any]:
    """A summary's row: the keys of every appended row (one statement appends them all)."""
    values = convert.delivery_values(delivery)
    values["answered_event_id"] = None
    values["facts"] = None
    return values


def append(
    conn: Connection,
    writer: BatchWriter,
    items: Sequence[VcaWrite | SummaryWrite],
    *,
    look: bool = True,
) -> list[tuple[Delivery, bool]]:
    """Append every delivery whose event is not stored yet (CALL_ACTIONs with their session
    update and variables, summaries as they are), in order. For each item: ``(stored delivery,
    True)`` when it was stored now, or ``(the event's first delivery, False)`` when that
    CALL_ACTION was already answered (its answer is the one to replay). A summary is always
    fresh: whether it is its session's first is for the projection to find.

    Without ``look``, no query looks for events stored before this batch (events repeated
    within it are still found): when one is, the unique index refuses the batch (an integrity
    error), and the caller appends it again with ``look``."""
    first: dict[str, Delivery] = {}
    if look:
        event_ids = [
            item.delivery.event_id
            for item in items
            if isinstance(item, VcaWrite) and item.delivery.event_id is not None
        ]
        first = _stored_events(conn, event_ids) if event_ids else {}
    results: list[tuple[Delivery, bool]] = []
    rows: list[dict[str, Any]] = []
    variables: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, SummaryWrite):
            delivery = item.delivery
            if delivery.session_id is None:
                delivery = replace(delivery, session_id=item.event.payload.session_id)
            rows.append(summary_values(delivery))
            results.append((delivery, True))
            continue
        delivery, update = item.delivery, item.update
        if update is not None and delivery.session_id is None:
            delivery = replace(delivery, session_id=update.session_id)
        event_id = delivery.event_id
        if event_id is not None:
            if event_id in first:
                results.append((first[event_id], False))
                continue
            first[event_id] = delivery
        results.append((delivery, True))
        values = convert.delivery_values(delivery)
        values["answered_event_id"] = event_id
        values["facts"] = encode_facts(update) if update is not None else None
        rows.append(values)
        if update is not None and item.variables:
            variables.extend(convert.variable_rows(update.session_id, item.variables))
    # One row per delivery, in arrival order (the projector follows the log in id order): the
    # session tables are projected from it (ivrkit.store._projector); the variables an answer
    # set are kept at once, for the next answer to read.
    writer.run(conn, "insert_delivery_plain", rows)
    writer.run(conn, "upsert_variables", variables)
    return results


_STORED_EVENTS = select(schema.deliveries).where(
    schema.deliveries.c.answered_event_id.in_(bindparam("event_ids", expanding=True))
)
"""Built once: constructing a select per batch (and its cache key) cost more than running it."""


def _stored_events(conn: Connection, event_ids: list[str]) -> dict[str, Delivery]:
    found: dict[str, Delivery] = {}
    for start in range(0, len(event_ids), CHUNK):
        chunk = event_ids[start : start + CHUNK]
        rows = conn.execute(_STORED_EVENTS, {"event_ids": chunk}).mappings()
        for row in rows:
            found[row["answered_event_id"]] = convert.delivery_from_row(row)
    return found
