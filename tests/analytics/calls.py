"""Calls recorded the way the webhook server records them, at chosen times: each event answered
by the tree (the server's Answerer and session update), stored in a group-commit batch, then
the summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ivrkit import wire
from ivrkit.server._answering import Answerer
from ivrkit.server._store_writes import session_update
from ivrkit.server._treeset import TreeSet
from ivrkit.store import Delivery, SessionUpdate, Store, VcaWrite
from ivrkit.store._records import CALL_PLACED
from ivrkit.store._versions import TreeVersions
from ivrkit.trees import Position, Tree
from ivrkit.trees._context import CallContext
from ivrkit.trees._engine import spec_text

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""A Monday, on the hour."""
GAP = timedelta(seconds=10)
CUSTOMER = "6591110000"


class Recorder:
    """Places calls of one tree into a store."""

    def __init__(self, store: Store, tree: Tree) -> None:
        self.store = store
        self.tree = tree
        self.answerer = Answerer(TreeSet([tree]))
        # The server keeps each version it serves before answering (what analytics reads the
        # categories its labels are declared to count as from).
        TreeVersions(store).record(tree.name, tree.version, spec_text(tree.spec), T0)
        self._events = 0

    def outbound(
        self,
        session_id: str,
        presses: Sequence[str],
        *,
        start: datetime = T0,
        gap: timedelta = GAP,
        status: str | None = "COMPLETED",
        customer: str = CUSTOMER,
        client_request_id: str | None = None,
        answered: bool = True,
    ) -> datetime:
        """A callback: placed at ``start``, the callee presses ``presses`` (``""``: silence),
        one event every ``gap``; then the summary with ``status`` (None: no summary yet).
        ``answered=False``: the callee never picked up. Returns when the call ended."""
        reached: list[str] = []
        context = CallContext(customer=customer)
        _, waits = self.tree.render(Position(self.tree.spec.entry), context, reached)
        self.store.record_outbound_call(
            session_id,
            at=start,
            customer=customer,
            sub_account_id="acme",
            flow=self.tree.name,
            request_id=None,
            client_request_id=client_request_id,
            step=SessionUpdate(
                session_id,
                at=start,
                flow=self.tree.name,
                version=self.tree.version,
                route=CALL_PLACED,
                passed=" ".join(reached),
            ),
        )
        at = start
        if answered:
            for digits in presses:
                if waits is None:
                    break
                at += gap
                waits = self._event(session_id, waits.encode(), digits, at, customer)
        end = at + gap
        if status is not None:
            self.summary(session_id, start, end, status, customer)
        return end

    def inbound(
        self,
        session_id: str,
        presses: Sequence[str],
        *,
        start: datetime = T0,
        gap: timedelta = GAP,
        status: str | None = "COMPLETED",
        customer: str = CUSTOMER,
    ) -> datetime:
        """A call to the tree's number: CALL_RECEIVED, then ``presses``."""
        waits = self._event(session_id, None, "", start, customer, inbound=True)
        at = start
        for digits in presses:
            if waits is None:
                break
            at += gap
            waits = self._event(session_id, waits.encode(), digits, at, customer, inbound=True)
        end = at + gap
        if status is not None:
            self.summary(session_id, start, end, status, customer, inbound=True)
        return end

    def _event(
        self,
        session_id: str,
        action_id: str | None,
        digits: str,
        at: datetime,
        customer: str,
        *,
        inbound: bool = False,
    ) -> Position | None:
        self._events += 1
        payload: dict[str, Any] = {
            "eventId": f"ev-{session_id}-{self._events}",
            "sessionId": session_id,
            "callId": f"call-{session_id}",
            "callStatus": "CALL_CONNECTED",
            "callDirection": "INBOUND" if inbound else "OUTBOUND",
            "source": customer if inbound else "6561115777",
            "destination": "6561110000" if inbound else customer,
            "timestamp": at.isoformat().replace("+00:00", "Z"),
            "dtmf": digits,
        }
        if action_id is not None:
            payload["clientActionId"] = action_id
        elif inbound:
            payload["callStatus"] = "CALL_RECEIVED"
        event = wire.CallActionEvent.model_validate(
            {"eventType": "CALL_ACTION", "payload": payload}
        )
        answered = self.answerer.decide(event, self.tree)
        delivery = Delivery(
            channel="vca",
            received_at=at,
            body=event.to_json(),
            headers={},
            http_status=200,
            answer=answered.answer.decode(),
            outcome=answered.outcome,
            event_id=payload["eventId"],
            event_type="CALL_ACTION",
            session_id=session_id,
            latency_ms=1.5,
        )
        update = session_update(event, answered, self.tree)
        self.store.record_vca_batch([VcaWrite(delivery=delivery, update=update)])
        return Position.decode(json.loads(answered.answer).get("clientActionId"))

    def summary(
        self,
        session_id: str,
        start: datetime,
        end: datetime,
        status: str,
        customer: str = CUSTOMER,
        *,
        inbound: bool = False,
    ) -> bool:
        event = summary_event(session_id, start, end, status, customer, inbound=inbound)
        body = json.dumps(event.to_wire())
        delivery = Delivery(
            channel="vss",
            received_at=end,
            body=body,
            headers={},
            http_status=200,
            answer="{}",
            outcome="summary",
            event_type=event.event_type,
            session_id=session_id,
        )
        return self.store.record_summary(delivery, event)


def summary_event(
    session_id: str,
    start: datetime,
    end: datetime,
    status: str,
    customer: str = CUSTOMER,
    *,
    inbound: bool = False,
) -> wire.SessionSummaryEvent:
    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return wire.SessionSummaryEvent.model_validate(
        {
            "eventType": "SESSION_SUMMARY",
            "payload": {
                "sessionId": session_id,
                "subAccountId": "acme",
                "sessionStatus": status,
                "startTime": iso(start),
                "endTime": iso(end),
                "callCount": 1,
                "details": {
                    "CallA": {
                        "callId": f"call-{session_id}",
                        "callDirection": "INBOUND" if inbound else "OUTBOUND",
                        "source": customer if inbound else "6561115777",
                        "destination": "6561110000" if inbound else customer,
                        "callStatus": status,
                    }
                },
            },
        }
    )
