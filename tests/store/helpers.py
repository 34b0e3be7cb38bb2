"""Building store inputs from the vendor's real payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ivrkit.store import Delivery, SessionUpdate
from ivrkit.wire._events import CallActionEvent, SessionSummaryEvent
from tests.conftest import load_fixture

KEEP = object()
"""Leave the fixture's digits as they are."""

T0 = datetime(2026, 1, 13, 8, 26, 58, tzinfo=UTC)


def vca_event(
    name: str = "vca_dtmf_eventdata.json",
    *,
    event_id: str | None = None,
    session_id: str | None = None,
    digits: str | None | object = KEEP,
    timestamp: datetime | None = None,
) -> CallActionEvent:
    data: dict[str, Any] = copy.deepcopy(load_fixture(name))
    payload = data["payload"]
    if event_id is not None:
        payload["eventId"] = event_id
    if session_id is not None:
        payload["sessionId"] = session_id
    if digits is not KEEP:
        payload.pop("dtmf", None)
        payload["eventData"] = {"dtmf": digits}
    if timestamp is not None:
        payload["timestamp"] = timestamp.isoformat().replace("+00:00", "Z")
    return CallActionEvent.from_wire(data)


def vca_delivery(
    event: CallActionEvent, *, answer: str = '{"callflow":[]}', outcome: str = "answered"
) -> Delivery:
    body = event.to_json()
    return Delivery(
        channel="vca",
        received_at=datetime.now(UTC),
        body=body,
        headers={"content-type": "application/json", "content-length": str(len(body))},
        http_status=200,
        answer=answer,
        outcome=outcome,
        event_id=event.payload.event_id,
        event_type=event.event_type,
        session_id=event.payload.session_id,
    )


def vca_update(
    event: CallActionEvent,
    *,
    node: str | None = "main",
    last_action: str | None = "SAY_AND_CAPTURE",
    flow: str | None = "simple_ivr",
) -> SessionUpdate:
    payload = event.payload
    assert payload.timestamp is not None
    customer = payload.destination if payload.call_direction == "OUTBOUND" else payload.source
    return SessionUpdate(
        session_id=payload.session_id,
        at=datetime.fromisoformat(payload.timestamp),
        sub_account_id=payload.sub_account_id,
        direction=payload.call_direction,
        customer=customer,
        digits=event.digits,
        last_action=last_action,
        node=node,
        flow=flow,
    )


def summary_event(name: str, **payload_changes: Any) -> SessionSummaryEvent:
    data: dict[str, Any] = copy.deepcopy(load_fixture(name))
    data["payload"].update(payload_changes)
    return SessionSummaryEvent.from_wire(data)


def summary_delivery(event: SessionSummaryEvent, *, at: datetime | None = None) -> Delivery:
    body = json.dumps(event.to_wire())
    return Delivery(
        channel="vss",
        received_at=at or datetime.now(UTC),
        body=body,
        headers={"content-type": "application/json"},
        http_status=200,
        answer="{}",
        outcome="summary",
        event_type=event.event_type,
        session_id=event.payload.session_id,
    )


def plain_delivery(
    outcome: str = "ignored", *, session_id: str | None = None, **kw: Any
) -> Delivery:
    values: dict[str, Any] = {
        "channel": "vcs",
        "received_at": datetime.now(UTC),
        "body": "{}",
        "headers": {"content-type": "application/json"},
        "http_status": 200,
        "answer": None,
        "outcome": outcome,
        "session_id": session_id,
    }
    values.update(kw)
    return Delivery(**values)


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
