"""What the server writes beyond the delivery itself: what a CALL_ACTION tells about its
session, and deliveries replayed from the spool file into the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ivrkit import wire
from ivrkit.server._answering import Answered
from ivrkit.server._decode import CallActionFields
from ivrkit.server._spool import Spool, spooled_delivery
from ivrkit.store import SessionUpdate, Store
from ivrkit.trees import Tree

EMPTY_ANSWER = "{}"


def session_update(
    event: wire.CallActionEvent | CallActionFields, answered: Answered, tree: Tree
) -> SessionUpdate:
    """What a CALL_ACTION and its answer tell about its session."""
    fields = CallActionFields.of_event(event) if isinstance(event, wire.CallActionEvent) else event
    return SessionUpdate(
        session_id=fields.session_id,
        at=_event_time(fields.timestamp),
        sub_account_id=fields.sub_account_id,
        direction=fields.call_direction,
        customer=fields.customer,
        digits=fields.digits or None,
        last_action=answered.last_action,
        node=answered.node,
        flow=tree.name,
        outcome=answered.label,
        **{**answered.step, "version": answered.version},
    )


def _event_time(text: str | None) -> datetime:
    if text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def replay_spool(store: Store, spool: Spool, *, probe: bool = False) -> int:
    """Move every spooled delivery into the store; what still fails stays spooled, what the
    store refuses is quarantined (with ``probe``, the first failure ends the replay). Replaying
    is idempotent: an event or a summary already stored is not stored twice."""

    def deliver(item: dict[str, Any]) -> None:
        delivery, update = spooled_delivery(item, "replayed from the spool")
        if delivery.event_id is not None:  # an answered CALL_ACTION, as it would have been stored
            store.record_vca(delivery, update, item.get("variables") or {})
            return
        try:
            event: wire.WebhookEvent | None = wire.parse_event(delivery.body)
        except ValidationError:
            event = None
        if isinstance(event, wire.SessionSummaryEvent):
            store.record_summary(
                replace(
                    delivery,
                    outcome="summary",
                    answer=delivery.answer or EMPTY_ANSWER,
                    event_type=event.event_type,
                    session_id=event.payload.session_id,
                ),
                event,
            )
        elif isinstance(event, wire.CallActionEvent):
            store.record_vca(
                replace(
                    delivery,
                    event_id=event.payload.event_id,
                    event_type=event.event_type,
                    session_id=event.payload.session_id,
                ),
                update,
            )
        else:
            store.record_delivery(delivery)

    return spool.replay(deliver, probe=probe)
