"""Sessions recorded in a store the way the webhook server records them, for replay tests:
the vendor's CALL_ACTION payload with the session's digits and clientActionIds, the answers
the tree gave, and a summary."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ivrkit import wire
from ivrkit.store import Delivery, SessionUpdate, Store
from tests.conftest import load_fixture
from tests.store.helpers import summary_delivery, summary_event

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ASK = wire.Callflow(
    callflow=[
        wire.SayAndCapture(
            params=wire.SayAndCaptureParams(
                prompt_message="Press one or two.", voice_profile="en-US-BenjaminRUS"
            )
        )
    ],
    client_action_id="main",
).to_json()
"""An answer that asks for digits (the menu)."""
HANG_UP = wire.Callflow(callflow=[wire.hangup()]).to_json()
BRIDGE = wire.Callflow(
    callflow=[wire.make_call("6561115777", "6512345678")], client_action_id="agent"
).to_json()


@dataclass(frozen=True)
class Step:
    """One CALL_ACTION: where the caller was, the digits (None: no input), what was answered."""

    action_id: str | None
    digits: str | None
    answer: str
    node: str = "main"
    label: str | None = None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_call(
    store: Store,
    session_id: str,
    steps: list[Step],
    *,
    status: str = "COMPLETED",
    start: datetime = T0,
    inbound: bool = False,
    summary: bool = True,
) -> None:
    """Store the CALL_ACTIONs (each once, with its answer) and the summary of a session."""
    events: list[dict[str, Any]] = []
    if inbound:
        received = copy.deepcopy(load_fixture("vca_call_received_number_masking.json"))
        received["eventType"] = "CALL_ACTION"
        events.append(received)
    for step in steps:
        data = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
        payload = data["payload"]
        payload.pop("clientActionId")
        if step.action_id is not None:
            payload["clientActionId"] = step.action_id
        payload["eventData"] = {"dtmf": step.digits}
        if inbound:
            payload["callDirection"] = "INBOUND"
        events.append(data)
    answers = [ASK] * (1 if inbound else 0) + [step.answer for step in steps]
    nodes = [("main", None)] * (1 if inbound else 0) + [(s.node, s.label) for s in steps]
    for index, (data, answer, (node, label)) in enumerate(zip(events, answers, nodes, strict=True)):
        at = start + timedelta(seconds=10 * (index + 1))
        payload = data["payload"]
        payload.update(sessionId=session_id, eventId=f"{session_id}-{index}", timestamp=_iso(at))
        event = wire.CallActionEvent.from_wire(data)
        delivery = Delivery(
            channel="vca",
            received_at=at,
            body=event.to_json(),
            headers={"content-type": "application/json"},
            http_status=200,
            answer=answer,
            outcome="answered",
            event_id=event.payload.event_id,
            event_type=event.event_type,
            session_id=session_id,
        )
        update = SessionUpdate(
            session_id=session_id,
            at=at,
            direction="INBOUND" if inbound else "OUTBOUND",
            customer="+6512345678",
            digits=event.digits or None,
            last_action="SAY_AND_CAPTURE",
            node=node,
            flow="simple_ivr",
            outcome=label,
        )
        store.record_vca(delivery, update)
        store.record_vca(delivery, update)  # the platform's retry of the same event
    if summary:
        end = start + timedelta(seconds=10 * (len(events) + 1))
        event = summary_event(
            "vss_vm_success.json",
            sessionId=session_id,
            sessionStatus=status,
            startTime=_iso(start),
            endTime=_iso(end),
        )
        store.record_summary(summary_delivery(event, at=end), event)
