"""What a recorded caller did, read from the store: the keys entered at each capture, the
silences, and whether they hung up while being asked.

The platform reports one CALL_ACTION per `sayAndCapture` (after all its tries), carrying the
digits entered or none; an event that follows anything else (a transfer that ended, a callflow
that ran out) is not an answer of the caller and is left out. A session whose last answer asked
for digits and that ended without reporting them is a caller who hung up while being asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from ivrkit import wire
from ivrkit.simulator.account.phones import Answer, PhoneScript
from ivrkit.store.recorded import RecordedSession
from ivrkit.trees.position import Position

__all__ = ["ENTRY", "NONE", "CallerBehaviour", "asks_for_digits", "behaviour_of", "path_step"]

ENTRY = "(entry)"
"""A path step with no clientActionId: the first prompt of an outbound call (the entry node)."""
NONE = "(none)"
"""The final step of a session that was never answered from the tree."""

_ANSWER_BY_STATUS = {
    "BUSY": Answer.BUSY,
    "NO_ANSWER": Answer.NO_ANSWER,
    "FAILED": Answer.FAIL,
}


@dataclass(frozen=True)
class CallerBehaviour:
    """One recorded call, as the replay needs it."""

    session_id: str
    direction: str
    """OUTBOUND (the tree called the customer) or INBOUND (the customer called a number)."""
    customer: str
    virtual_number: str | None
    """The number an inbound call was made to."""
    started_at: datetime | None
    answer: Answer
    """How the customer's phone answered (busy, no-answer and failed calls never reached the
    tree: they are replayed as such)."""
    entries: tuple[str, ...]
    """The keys entered at each capture, in order ("" for a silence)."""
    outcome: str | None
    """The outcome the session ended with (:mod:`ivrkit.outcomes`)."""
    path: tuple[str, ...]
    """Where the caller was at each CALL_ACTION (positions, e.g. ``main#1``), then the node the
    last answer came from: what a replay's path is compared with."""

    def script(self) -> PhoneScript:
        """The phone that plays this caller again: the N-th capture it hears gets the N-th
        recorded entry (every try of that capture the same keys); once the entries run out, it
        hangs up during the next prompt."""
        return PhoneScript(
            answer=self.answer,
            press=list(self.entries),
            counts="captures",
            hangup_during_prompt=len(self.entries) + 1,
        )


def path_step(client_action_id: str | None) -> str:
    """A path step from an event's clientActionId: the node and replay count it names (read by
    :meth:`Position.decode`, and written without anything else an id may carry, such as a tree
    version, so recorded and replayed paths compare), ``(entry)`` without one, else the id as
    sent."""
    if not client_action_id:
        return ENTRY
    position = Position.decode(client_action_id)
    if position is None:
        return client_action_id
    return f"{position.node}#{position.retries}" if position.retries else position.node


def behaviour_of(recorded: RecordedSession) -> CallerBehaviour:
    """The caller's behaviour in a recorded session (events that cannot be read are skipped:
    a body the server stored as received may be anything)."""
    record = recorded.record
    direction = (record.direction or "OUTBOUND").upper()
    virtual_number: str | None = None
    entries: list[str] = []
    path: list[str] = []
    asked = True  # an outbound call starts with its entry prompt
    for exchange in recorded.exchanges:
        event = _call_action(exchange.body)
        if event is None:
            continue
        if event.is_new_inbound_call:
            virtual_number = event.payload.destination
            direction = "INBOUND"
        else:
            if asked:
                entries.append(event.digits or "")
            path.append(path_step(event.payload.client_action_id))
        asked = asks_for_digits(exchange.answer)
    path.append(record.node or NONE)
    return CallerBehaviour(
        session_id=record.session_id,
        direction=direction,
        customer=record.customer or "",
        virtual_number=virtual_number,
        started_at=record.started_at,
        answer=_ANSWER_BY_STATUS.get(record.status, Answer.YES),
        entries=tuple(entries),
        outcome=record.outcome,
        path=tuple(path),
    )


def _call_action(body: str) -> wire.CallActionEvent | None:
    try:
        event = wire.parse_event(json.loads(body))
    except (ValueError, ValidationError):
        return None
    return event if isinstance(event, wire.CallActionEvent) else None


def asks_for_digits(answer: str | None) -> bool:
    """Whether an answered callflow ends by asking for digits (its last action a capture)."""
    if not answer:
        return False
    try:
        callflow = wire.Callflow.from_wire(json.loads(answer))
    except (ValueError, ValidationError):
        return False
    return bool(callflow.callflow) and isinstance(callflow.callflow[-1], wire.SayAndCapture)
