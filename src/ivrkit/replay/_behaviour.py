"""What a recorded caller did, read from the store: the keys entered at each capture, the
silences, and whether they hung up while being asked.

The webhook server records a path step with every answer: where the caller was, the digits the
event carried and the route the tree took from there. A step whose route leaves a capture (a
key, an entry collected, an invalid entry, no input, retries exhausted) is an answer of the
caller; a step after anything else (a transfer that ended) is not. A session whose last answer
asked for digits and that ended without reporting them is a caller who hung up while being
asked. Sessions recorded before path steps existed are read from their CALL_ACTION bodies and
answers instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pydantic import ValidationError

from ivrkit import wire
from ivrkit.replay._recorded import RecordedSession
from ivrkit.server._decode import CallActionFields, call_action_fields
from ivrkit.simulator import Answer
from ivrkit.store._records import CALL_PLACED
from ivrkit.trees._position import Position, RouteKind

__all__ = [
    "CAPTURE_ROUTES",
    "ENTRY",
    "NONE",
    "CallerBehaviour",
    "asks_for_digits",
    "behaviour_of",
    "path_step",
]

ENTRY = "(entry)"
"""A path step with no clientActionId: the first prompt of an outbound call (the entry node)."""
NONE = "(none)"
"""The final step of a session that was never answered from the tree."""

CAPTURE_ROUTES = frozenset(
    {
        RouteKind.KEY,
        RouteKind.COLLECTED,
        RouteKind.INVALID,
        RouteKind.NO_INPUT,
        RouteKind.RETRIES_EXHAUSTED,
    }
)
"""The routes that leave a capture: the event that took one carried the caller's entry."""
UNTRUSTED_STATUS = "ERROR"
"""A session the platform ended in error: its recorded outcome is the error, not the tree's."""

_ANSWER_BY_STATUS = {
    "BUSY": Answer.BUSY,
    "NO_ANSWER": Answer.NO_ANSWER,
    "FAILED": Answer.FAIL,
}


@dataclass(frozen=True, slots=True)
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
    """The outcome the session ended with (:mod:`ivrkit._outcomes`)."""
    path: tuple[str, ...]
    """Where the caller was at each CALL_ACTION (positions, e.g. ``main#1``), then the node the
    last answer came from: what a replay's path is compared with."""
    times: tuple[datetime, ...] = ()
    """When each CALL_ACTION came (the replay's clock at each answer; after the last one, the
    clock stays there)."""
    trusted: bool = True
    """Whether the recorded outcome is what the tree did: False when an answer was the server's
    fallback or the platform ended the call in error (then the old tree is replayed to compare)."""
    flow: str | None = None
    version: str | None = None
    """The tree and its version that answered the session last (None: not recorded)."""


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
    """The caller's behaviour in a recorded session: from its path steps, or from its raw
    CALL_ACTION bodies when it was recorded before path steps existed."""
    if recorded.steps or not recorded.exchanges:
        return _from_steps(recorded)
    return _from_bodies(recorded)


def _from_steps(recorded: RecordedSession) -> CallerBehaviour:
    record = recorded.record
    direction = (record.direction or "OUTBOUND").upper()
    entries: list[str] = []
    path: list[str] = []
    times: list[datetime] = []
    for step in recorded.steps:
        if step.route == CALL_PLACED:  # the Send Callflow of an outbound call, not a CALL_ACTION
            continue
        times.append(step.at)
        if step.heard is None:  # a new inbound call: the tree answered, nobody had been asked
            direction = "INBOUND"
            continue
        if step.route in CAPTURE_ROUTES:
            entries.append(step.digits or "")
        if not path and direction == "OUTBOUND":
            path.append(ENTRY)  # the event after the initial request carries no clientActionId
        else:
            path.append(f"{step.heard}#{step.replay}" if step.replay else step.heard)
    path.append(record.node or NONE)
    last = recorded.steps[-1] if recorded.steps else None  # the version that answered last
    return CallerBehaviour(
        session_id=record.session_id,
        direction=direction,
        customer=record.customer or "",
        virtual_number=None,
        started_at=record.started_at,
        answer=_ANSWER_BY_STATUS.get(record.status, Answer.YES),
        entries=tuple(entries),
        outcome=record.outcome,
        path=tuple(path),
        times=tuple(times),
        trusted=_trusted(recorded),
        flow=last.flow if last is not None else record.flow,
        version=last.version if last is not None else None,
    )


def _trusted(recorded: RecordedSession) -> bool:
    return not recorded.fallback and recorded.record.status != UNTRUSTED_STATUS


def _from_bodies(recorded: RecordedSession) -> CallerBehaviour:
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
            virtual_number = event.destination
            direction = "INBOUND"
        else:
            if asked:
                entries.append(event.digits or "")
            path.append(path_step(event.client_action_id))
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
        trusted=_trusted(recorded),
        flow=record.flow,
    )


def _call_action(body: str) -> CallActionFields | None:
    """The fields of a CALL_ACTION body: read by the webhook server's fast decoder, or, for a
    body it does not take, by the full model (None: not a CALL_ACTION the model accepts)."""
    fields = call_action_fields(body.encode())
    if fields is not None:
        return fields
    try:
        event = wire.parse_event(json.loads(body))
    except (ValueError, ValidationError):
        return None
    return CallActionFields.of_event(event) if isinstance(event, wire.CallActionEvent) else None


@lru_cache(maxsize=4096)
def asks_for_digits(answer: str | None) -> bool:
    """Whether an answered callflow ends by asking for digits (its last action a capture);
    kept per answer, since a tree answers with few distinct ones."""
    if not answer:
        return False
    try:
        callflow = wire.Callflow.from_wire(json.loads(answer))
    except (ValueError, ValidationError):
        return False
    return bool(callflow.callflow) and isinstance(callflow.callflow[-1], wire.SayAndCapture)
