"""Statements compiled once and run with the driver's executemany store exactly what SQLAlchemy's
own executemany stores: the same conversions, through the column types."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from ivrkit.store import Store, VcaWrite
from ivrkit.store._prepared import Prepared
from ivrkit.store._statements import Statements
from tests.store.helpers import T0, vca_delivery, vca_event, vca_update

COLUMNS = "received_at, body, headers, answer, note, event_id, answered_event_id, session_id"


@pytest.mark.parametrize(
    "received_at",
    [
        datetime(2026, 5, 16, 4, 12, 11, 217000),  # naive: taken as UTC
        datetime(2026, 5, 16, 12, 12, 11, 217000, tzinfo=timezone(timedelta(hours=8))),
    ],
    ids=["naive", "singapore"],
)
def test_a_batch_stores_the_values_one_by_one_stores(store: Store, received_at: datetime) -> None:
    def delivery(event_id: str) -> VcaWrite:
        event = vca_event(event_id=event_id, digits="1")
        stored = vca_delivery(event, answer='{"callflow":[]}')
        stored = replace(stored, received_at=received_at, body="a NUL \x00 inside", note="ß")
        return VcaWrite(delivery=stored, update=vca_update(event))

    core = delivery("e-cores")
    store.record_vca(core.delivery, core.update)
    store.record_vca_batch([delivery("e-batch")])
    with store._engine.connect() as conn:  # the raw columns, as the database holds them
        rows = conn.execute(text(f"SELECT {COLUMNS} FROM ivrkit_deliveries ORDER BY id")).all()
    by_core, by_batch = (list(row) for row in rows)
    assert by_core[:5] == by_batch[:5]
    assert by_batch[5:] == ["e-batch", "e-batch", by_core[7]]
    stored = store.find_answered("e-batch")
    assert stored is not None and stored.received_at == received_at.replace(
        tzinfo=received_at.tzinfo or UTC
    )


def test_a_row_with_a_name_the_statement_does_not_take_is_refused() -> None:
    with pytest.raises(ValueError, match="no parameters"):
        Prepared(Statements("sqlite").insert_digits, sqlite.dialect(), ["session_id", "colour"])


def test_a_row_without_a_parameter_the_statement_needs_is_refused() -> None:
    prepared = Prepared(Statements("sqlite").insert_digits, sqlite.dialect(), ["session_id", "at"])
    assert prepared.row({"session_id": "s-1", "at": None}) == ("s-1", None)
    with pytest.raises(ValueError, match="lacks the parameter 'at'"):
        prepared.row({"session_id": "s-1"})


def test_many_rows_are_stored_in_order_as_one_by_one_stores(store: Store) -> None:
    # One batch of many rows, each with a value of its own, a NUL and a time zone to convert.
    writes = []
    for number in range(2300):
        event = vca_event(event_id=f"e-{number}", digits=str(number % 10))
        stored = vca_delivery(event, answer='{"callflow":[]}')
        at = datetime(2026, 5, 16, 12, tzinfo=timezone(timedelta(hours=8))) + timedelta(
            seconds=number
        )
        stored = replace(stored, received_at=at, body=f"body {number} \x00", note=None)
        writes.append(VcaWrite(delivery=stored, update=vca_update(event)))
    store.record_vca_batch(writes)
    with store._engine.connect() as conn:
        rows = conn.execute(text("SELECT event_id, body FROM ivrkit_deliveries ORDER BY id")).all()
    assert [row[0] for row in rows] == [f"e-{number}" for number in range(2300)]
    assert rows[2299][1].startswith("body 2299 ")
    found = store.find_answered("e-1234")
    assert found is not None
    assert found.received_at == datetime(2026, 5, 16, 4, tzinfo=UTC) + timedelta(seconds=1234)


def test_a_batch_that_updates_one_session_twice_applies_the_rows_in_order(store: Store) -> None:
    # On PostgreSQL the rows go as one statement per wave (an upsert cannot touch one row twice
    # in a statement): the session's later row must still win, its earlier start stay.
    events = [
        vca_event(event_id="e-1", session_id="s-1", digits="1", timestamp=T0),
        vca_event(event_id="e-2", session_id="s-2", digits="2", timestamp=T0),
        vca_event(
            event_id="e-3", session_id="s-1", digits="3", timestamp=T0 - timedelta(seconds=5)
        ),
        vca_event(
            event_id="e-4", session_id="s-1", digits="4", timestamp=T0 + timedelta(seconds=9)
        ),
    ]
    nodes = ["main", "main", "billing", "agent"]
    writes = [
        VcaWrite(delivery=vca_delivery(event), update=vca_update(event, node=node))
        for event, node in zip(events, nodes, strict=True)
    ]
    store.record_vca_batch(writes)
    session = store.session("s-1")
    assert session is not None
    assert session.node == "agent"
    assert session.digits == ["3", "1", "4"]  # by the time each was pressed
    assert session.started_at == T0 - timedelta(seconds=5)
    other = store.session("s-2")
    assert other is not None and other.node == "main"


def test_postgresql_runs_an_insert_of_many_rows_as_one_statement() -> None:
    dialect = psycopg.dialect()
    statements = Statements("postgresql")
    digits = Prepared(statements.insert_digits, dialect, ["session_id", "digits", "at"])
    assert digits.rowset is not None
    assert "json_to_recordset" in digits.rowset.sql and "ORDER BY" in digits.rowset.sql
    # An upsert is applied in waves of rows with distinct keys (the conflict's columns).
    sessions = Prepared(statements.ensure_session, dialect, ["session_id", "status", "updated_at"])
    assert sessions.rowset is not None
    returning = Prepared(statements.insert_delivery, dialect, ["channel", "body"])
    assert returning.rowset is None  # ids to return: one by one
    assert Prepared(statements.insert_digits, sqlite.dialect(), ["session_id"]).rowset is None
