"""What the server writes beyond the delivery itself: what a CALL_ACTION tells about its
session, and deliveries replayed from the spool file into the store."""

from __future__ import annotations

from datetime import UTC, datetime

from ivrkit import wire
from ivrkit.server.answering import Answered
from ivrkit.server.spool import Spool
from ivrkit.store import Delivery, SessionUpdate, Store
from ivrkit.trees import Tree, customer_number

EMPTY_ANSWER = "{}"


def session_update(event: wire.CallActionEvent, answered: Answered, tree: Tree) -> SessionUpdate:
    payload = event.payload
    return SessionUpdate(
        session_id=payload.session_id,
        at=_event_time(payload.timestamp),
        sub_account_id=payload.sub_account_id,
        direction=payload.call_direction,
        customer=customer_number(event),
        digits=event.digits or None,
        last_action=answered.last_action,
        node=answered.node,
        flow=tree.name,
    )


def _event_time(text: str | None) -> datetime:
    if text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def replay_spool(store: Store, spool: Spool) -> int:
    """Move every spooled delivery into the store; what still fails stays spooled."""

    def deliver(channel: str, body: str, headers: dict[str, str], at: datetime) -> None:
        event = wire.parse_event(body)
        note = "replayed from the spool"
        if isinstance(event, wire.SessionSummaryEvent):
            store.record_summary(
                Delivery(
                    channel,
                    at,
                    body,
                    headers,
                    200,
                    EMPTY_ANSWER,
                    "summary",
                    note,
                    None,
                    event.event_type,
                    event.payload.session_id,
                ),
                event,
            )
        elif isinstance(event, wire.CallActionEvent):
            store.record_vca(
                Delivery(
                    channel,
                    at,
                    body,
                    headers,
                    200,
                    None,
                    "replayed",
                    note,
                    event.payload.event_id,
                    event.event_type,
                    event.payload.session_id,
                ),
                None,
            )
        else:
            store.record_delivery(
                Delivery(channel, at, body, headers, 200, EMPTY_ANSWER, "recorded", note)
            )

    return spool.replay(deliver)
