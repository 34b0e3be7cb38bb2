"""The store's SQL, built once per dialect and then executed with plain parameter dicts.

Building a SQLAlchemy statement costs more than running it on SQLite, so the hot paths
(recording a CALL_ACTION) never build one per call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Insert,
    Select,
    Update,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
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
        self.insert_summary_plain: Insert = insert(schema.summaries)
        self.insert_legs: Insert = insert(schema.legs)
        # Parameter names differ from column names: SQLAlchemy reserves those in SET clauses.
        self.close_session: Update = (
            update(schema.sessions)
            .where(_S.session_id == bindparam("p_session_id"))
            .values(
                status=_param("p_status", _S.status),
                sub_account_id=_first(_S.sub_account_id, "p_sub_account_id"),
                direction=_first(_S.direction, "p_direction"),
                customer=_first(_S.customer, "p_customer"),
                client_request_id=_first(_S.client_request_id, "p_client_request_id"),
                summary_last_action=_param("p_last_action", _S.summary_last_action),
                started_at=func.coalesce(_param("p_started_at", _S.started_at), _S.started_at),
                ended_at=_param("p_ended_at", _S.ended_at),
                call_count=_param("p_call_count", _S.call_count),
                error_code=_param("p_error_code", _S.error_code),
                error_message=_param("p_error_message", _S.error_message),
                updated_at=_param("p_updated_at", _S.updated_at),
            )
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
