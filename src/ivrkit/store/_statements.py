"""The store's SQL, built once per dialect and then executed with plain parameter dicts.

Building a SQLAlchemy statement costs more than running it on SQLite, so the hot paths
(recording a CALL_ACTION) never build one per call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Insert,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ivrkit.store import _schema as schema
from ivrkit.store._records import IN_PROGRESS

_D = schema.deliveries.c
_S = schema.sessions.c
_SUM = schema.summaries.c
_V = schema.variables.c


def _upsert(dialect: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _param(name: str, column: Any) -> Any:
    """A named parameter typed like ``column`` (so times and text get the column's handling)."""
    return bindparam(name, type_=column.type)


def _first(column: Any, name: str) -> Any:
    """Keep what the row has; fill it from parameter ``name`` when empty."""
    return func.coalesce(column, _param(name, column))


def _earliest_start(candidate: Any) -> Any:
    """``started_at`` of an open session moves back to an earlier time (events may arrive out of
    order); once a summary gave the real start time it stays."""
    return case(
        (
            or_(
                _S.started_at.is_(None),
                and_(_S.status == IN_PROGRESS, candidate < _S.started_at),
            ),
            candidate,
        ),
        else_=_S.started_at,
    )


class Statements:
    """Every statement the store runs, for one dialect ("sqlite" or "postgresql")."""

    def __init__(self, dialect: str) -> None:
        self.insert_delivery: Insert = insert(schema.deliveries).returning(_D.id)
        self.insert_delivery_plain: Insert = insert(schema.deliveries)
        # ON CONFLICT waits for a concurrent twin to commit, then inserts nothing.
        self.insert_answered_delivery = (
            _upsert(dialect, schema.deliveries)
            .on_conflict_do_nothing(index_elements=[_D.answered_event_id])
            .returning(_D.id)
        )
        self.find_answered: Select[Any] = select(schema.deliveries).where(
            _D.answered_event_id == bindparam("event_id")
        )

        vca = _upsert(dialect, schema.sessions)
        new = vca.excluded
        self.upsert_session_from_vca = vca.on_conflict_do_update(
            index_elements=[_S.session_id],
            set_={
                # What the call is (direction, parties) comes from its first event ...
                "direction": func.coalesce(_S.direction, new.direction),
                "sub_account_id": func.coalesce(_S.sub_account_id, new.sub_account_id),
                "customer": func.coalesce(_S.customer, new.customer),
                # ... where it is in the tree from its latest answer.
                "flow": func.coalesce(new.flow, _S.flow),
                "node": func.coalesce(new.node, _S.node),
                "answer_last_action": func.coalesce(new.answer_last_action, _S.answer_last_action),
                # The last labelled node reached; an answer from an unlabelled node keeps it.
                "outcome": func.coalesce(new.outcome, _S.outcome),
                # The version that answered first stays; the latest one follows each answer.
                "first_version": func.coalesce(_S.first_version, new.first_version),
                "last_version": func.coalesce(new.last_version, _S.last_version),
                "started_at": _earliest_start(new.started_at),
                "updated_at": new.updated_at,
            },
        )
        self.insert_digits: Insert = insert(schema.session_digits)
        self.insert_step: Insert = insert(schema.path_steps)

        call = _upsert(dialect, schema.sessions)
        new = call.excluded
        self.upsert_session_from_call = call.on_conflict_do_update(
            index_elements=[_S.session_id],
            set_={
                "direction": func.coalesce(_S.direction, new.direction),
                "customer": func.coalesce(new.customer, _S.customer),
                "sub_account_id": func.coalesce(new.sub_account_id, _S.sub_account_id),
                "flow": func.coalesce(_S.flow, new.flow),
                "request_id": func.coalesce(new.request_id, _S.request_id),
                "client_request_id": func.coalesce(_S.client_request_id, new.client_request_id),
                "started_at": _earliest_start(new.started_at),
                "updated_at": new.updated_at,
            },
        )

        self.ensure_session = _upsert(dialect, schema.sessions).on_conflict_do_nothing(
            index_elements=[_S.session_id]
        )
        self.insert_summary = (
            _upsert(dialect, schema.summaries)
            .on_conflict_do_nothing(index_elements=[_SUM.session_id])
            .returning(_SUM.id)
        )
        # The payload comes as the JSON text the column would have made of it (the projector
        # encodes it once, to check it, and keeps that text); PostgreSQL reads it as JSON.
        payload = bindparam("payload_json", type_=Text)
        self.insert_summary_json: Insert = insert(schema.summaries).values(
            payload=payload if dialect == "sqlite" else cast(payload, JSON)
        )
        self.insert_legs: Insert = insert(schema.legs)
        # The legs of a summary just inserted, found by its session (one statement: no read of
        # the summaries' ids between the two inserts).
        self.insert_legs_of_session: Insert = insert(schema.legs).values(
            summary_id=select(_SUM.id)
            .where(_SUM.session_id == bindparam("session_id"))
            .scalar_subquery()
        )
        # A session closed by its summary: its status and what the summary tells of the call
        # set on the row the session's events made (what they said of the parties and the
        # start stays), or the same values in a new row when no event made one.
        closing = _upsert(dialect, schema.sessions)
        closed = closing.excluded
        self.upsert_closed_session = closing.on_conflict_do_update(
            index_elements=[_S.session_id],
            set_={
                "status": closed.status,
                "sub_account_id": func.coalesce(_S.sub_account_id, closed.sub_account_id),
                "direction": func.coalesce(_S.direction, closed.direction),
                "customer": func.coalesce(_S.customer, closed.customer),
                "client_request_id": func.coalesce(_S.client_request_id, closed.client_request_id),
                "summary_last_action": closed.summary_last_action,
                "started_at": func.coalesce(closed.started_at, _S.started_at),
                "ended_at": closed.ended_at,
                "call_count": closed.call_count,
                "error_code": closed.error_code,
                "error_message": closed.error_message,
                "updated_at": closed.updated_at,
            },
        )
        self.ensure_projection = _upsert(dialect, schema.projections).on_conflict_do_nothing(
            index_elements=[schema.projections.c.name]
        )

        self.variables_of: Select[Any] = (
            select(_V.session_id, _V.name, _V.value)
            .where(_V.session_id.in_(bindparam("session_ids", expanding=True)))
            .order_by(_V.name)
        )
        variables = _upsert(dialect, schema.variables)
        self.upsert_variables = variables.on_conflict_do_update(
            index_elements=[_V.session_id, _V.name],
            set_={"value": variables.excluded.value},
        )
