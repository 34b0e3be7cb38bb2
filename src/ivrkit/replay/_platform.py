"""Where recorded callers are played again: the webhook server's own answering, and as much of
the platform as a scripted caller meets.

Every CALL_ACTION is answered by :class:`~ivrkit.server._answering.Answerer` — the code
``ivrkit serve`` answers with: the tree's callflow checked against the platform's rules, the
entry menu as the fallback when anything goes wrong, the calendars' emergency switches obeyed —
so a replayed call hears the server's answers byte for byte (:attr:`Replayed.answers`). Nothing
goes over HTTP and nothing is stored: the store of the live server must not receive replayed
calls.

The platform's side is what the answers ask of it: a ``sayAndCapture`` collects the caller's
keys with the simulator's own capture rules (:mod:`ivrkit.simulator.capture`: digit counts,
``#``, timeouts, tries), a ``makeCall`` bridges the agent (who answers, talks and hangs up), a
``hangup`` ends the call, anything else plays and moves on; then the platform asks again.
Each call's clock is the recording's: the tree is asked at the moment the recorded call asked
it (so business-hours branches take the branch they took then).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from ivrkit import _outcomes as outcomes
from ivrkit import wire
from ivrkit.calendars import Switch
from ivrkit.replay._behaviour import NONE, CallerBehaviour, path_step
from ivrkit.server._answering import Answered, Answerer
from ivrkit.server._decode import CallActionFields
from ivrkit.server._treeset import TreeSet
from ivrkit.simulator import Answer, CaptureDefaults, SimulatorConfig
from ivrkit.simulator._calls.capture import CaptureSettings, key_times, simulate
from ivrkit.trees import Tree
from ivrkit.trees._engine import Engine
from ivrkit.wire._events import Identifier

__all__ = ["REPLAY_CUSTOMER", "ReplayPlatform", "Replayed", "run_replay"]

SUBACCOUNT = "ivrkit-replay"
REPLAY_CALLER_ID = "+6561115777"
"""Caller ID of a replayed callback when the tree names none (numbers.caller_id), and the
number a replayed inbound call dials when the recording does not say."""
REPLAY_CUSTOMER = "+6500000000"
"""The customer's number when the store has none."""
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""When a replayed call starts if the recording has no start time."""
PLANS = 4096
"""Distinct answers whose plan is kept (answers repeat: a tree has few distinct ones)."""

_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)

_STATUS_BY_ANSWER = {Answer.BUSY: "BUSY", Answer.NO_ANSWER: "NO_ANSWER", Answer.FAIL: "FAILED"}
_TWO_CALLS = "invalid answer: a session holds at most two calls"


@dataclass
class Replayed:
    """What a replayed call did."""

    outcome: str | None
    path: tuple[str, ...]
    status: str
    error: str | None = None
    """Why the platform ended the session in ERROR."""
    answers: tuple[bytes, ...] = ()
    """The answers the call got, as the webhook server sends them."""


@dataclass(frozen=True)
class _Plan:
    """What the platform does with one callflow: the bridges before the step that ends it (a
    capture's settings, ``hangup``, or the end of the callflow: ask again)."""

    bridges: int
    capture: CaptureSettings | None
    hangup: bool
    client_action_id: str | None


def _plan(
    actions: list[wire.AnyAction], client_action_id: str | None, defaults: CaptureDefaults
) -> _Plan:
    bridges = 0
    for action in actions:
        if isinstance(action, wire.Hangup):
            return _Plan(bridges, None, True, client_action_id)
        if isinstance(action, wire.MakeCall):
            bridges += 1
        elif isinstance(action, wire.SayAndCapture):
            settings = CaptureSettings.from_params(action.params, defaults)
            return _Plan(bridges, settings, False, client_action_id)
    return _Plan(bridges, None, False, client_action_id)


class _Clocked(Tree):
    """``engine``'s tree on another clock. It was checked when it was loaded, so it is not
    checked again: the replay answers with the tree it is given, as the server would."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        Engine.__init__(
            self, engine.spec, hooks=engine.hooks, clock=clock, calendars=engine.calendars
        )
        self.source = getattr(engine, "source", "<tree>")


@dataclass
class _Call:
    """One replayed session so far."""

    caller: CallerBehaviour
    direction: str
    customer: str
    number: str
    variables: dict[str, str] = field(default_factory=dict)
    label: str | None = None
    digits: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)
    last_node: str | None = None
    asked: int = 0


class ReplayPlatform:
    """Plays recorded callers against ``engine``'s tree (:meth:`replay`), one after the other."""

    def __init__(
        self,
        engine: Engine,
        *,
        switches: Mapping[str, Switch] | None = None,
        config: SimulatorConfig | None = None,
    ) -> None:
        self._moment = EPOCH
        # The tree's own clock follows the replayed call's recorded time.
        self._engine = _Clocked(engine, self._now)
        self._trees = TreeSet([self._engine])
        self._answerer = Answerer(self._trees)
        self._prepares = self._answerer.prepares(self._engine)
        self._switches = switches if self._engine.uses_calendars else None
        settings = config or SimulatorConfig()
        self._defaults: CaptureDefaults = settings.capture_defaults
        self._press_delay = settings.press_delay_ms / 1000
        self._max_call_actions = settings.max_call_actions
        self._plans: dict[bytes, _Plan] = {}
        self._initial: _Plan | None = None
        self._captures: dict[tuple[CaptureSettings, str], str | None] = {}

    def _now(self) -> datetime:
        return self._moment

    def replay(self, caller: CallerBehaviour) -> Replayed:
        """Play ``caller`` again against the tree."""
        self._moment = caller.started_at or EPOCH
        refused = _STATUS_BY_ANSWER.get(caller.answer)
        if refused is not None:  # the call never reached the tree
            return Replayed(outcomes.derive(refused, None), (NONE,), refused)
        call = _Call(
            caller,
            caller.direction,
            caller.customer or REPLAY_CUSTOMER,
            caller.virtual_number or self._engine.spec.numbers.get("caller_id") or REPLAY_CALLER_ID,
        )
        if call.direction == "INBOUND":
            plan = self._ask(call, wire.CallStatus.CALL_RECEIVED, None, None)
        else:
            plan = self._initial_plan(call)
        captures = bridges = exchanges = 0
        hangs_up_at = len(caller.entries) + 1
        while True:
            bridges += plan.bridges
            if bridges > 1:
                return self._ended(call, "ERROR", _TWO_CALLS)
            if plan.hangup:
                break
            digits: str | None = None
            if plan.capture is not None:
                captures += 1
                if captures == hangs_up_at:  # the recording is over: hang up during the prompt
                    break
                digits = self._captured(plan.capture, caller.entries[captures - 1])
            plan = self._ask(call, wire.CallStatus.ACTION_COMPLETED, digits, plan.client_action_id)
            exchanges += 1
            if exchanges >= self._max_call_actions:
                break  # the caller gives up, as the simulated one does
        return self._ended(call, "COMPLETED", None)

    def _captured(self, capture: CaptureSettings, entry: str) -> str | None:
        """The digits a capture collects from a caller entering ``entry`` (kept per capture and
        entry: the collection is a pure function of them)."""
        key = (capture, entry)
        if key not in self._captures:
            if len(self._captures) >= PLANS:
                self._captures.clear()
            # Every try of a capture gets the same keys, so one try tells what all do.
            self._captures[key] = simulate(capture, key_times(entry, self._press_delay)).dtmf
        return self._captures[key]

    def _ended(self, call: _Call, status: str, error: str | None) -> Replayed:
        return Replayed(
            outcome=outcomes.derive(status, call.label, digits=call.digits),
            path=(*call.path, call.last_node or NONE),
            status=status,
            error=error,
            answers=tuple(call.answers),
        )

    def _initial_plan(self, call: _Call) -> _Plan:
        """The entry of an outbound call: the Send Callflow after its ``makeCall`` (the same
        for every customer unless the tree's answers depend on the call)."""
        if self._initial is not None:
            return self._initial
        caller_id = self._engine.spec.numbers.get("caller_id") or REPLAY_CALLER_ID
        request = self._engine.initial_request(call.customer, caller_id=caller_id)
        plan = _plan(list(request.callflow[1:]), None, self._defaults)
        if not self._engine.uses_variables:
            self._initial = plan
        return plan

    def _ask(
        self,
        call: _Call,
        status: wire.CallStatus,
        digits: str | None,
        client_action_id: str | None,
    ) -> _Plan:
        """Send the tree a CALL_ACTION, as the platform would, and plan its answer. A tree whose
        answers depend on the event alone is answered from the event's fields (the answerer
        keeps its answers); the full event is built only for a tree that reads more."""
        times = call.caller.times
        if call.asked < len(times):
            self._moment = times[call.asked]
        inbound = call.direction == "INBOUND"
        received = status is wire.CallStatus.CALL_RECEIVED
        fields = CallActionFields(
            f"{call.caller.session_id}-replay-{call.asked}",
            call.caller.session_id,
            status.value,
            client_action_id=None if received else client_action_id,
            call_direction=call.direction,
            source=call.customer if inbound else call.number,
            destination=call.number if inbound else call.customer,
            sub_account_id=SUBACCOUNT,
            digits=None if received else digits,
        )

        # The ids are checked as the full event checks them, so a session whose ids the wire
        # cannot carry fails here, as it would with the full event, whatever was answered before.
        _IDENTIFIER.validate_python(fields.event_id)
        _IDENTIFIER.validate_python(fields.session_id)

        def event() -> wire.CallActionEvent:
            return self._event(fields, received)

        if self._prepares:
            answered = self._answerer.decide_fields(fields, self._engine, None, event)
        else:
            answered = self._answerer.decide(
                event(), self._engine, call.variables or None, None, self._switches
            )
        call.asked += 1
        self._note(call, fields, answered, digits)
        return self._plan_of(answered.answer)

    def _event(self, fields: CallActionFields, received: bool) -> wire.CallActionEvent:
        """The CALL_ACTION the platform would send, at the replayed call's moment."""
        payload: dict[str, Any] = {
            "event_id": fields.event_id,
            "session_id": fields.session_id,
            "sub_account_id": fields.sub_account_id,
            "call_status": fields.call_status,
            "call_direction": fields.call_direction,
            "source": fields.source,
            "destination": fields.destination,
            "timestamp": self._moment.isoformat().replace("+00:00", "Z"),
        }
        if not received:
            payload["event_data"] = wire.EventData(dtmf=fields.digits)
            if fields.client_action_id is not None:
                payload["client_action_id"] = fields.client_action_id
        return wire.CallActionEvent(
            namespace="VOICE",
            event_type="CALL_ACTION",
            payload=wire.CallActionPayload.model_validate(payload),
        )

    @staticmethod
    def _note(
        call: _Call, fields: CallActionFields, answered: Answered, digits: str | None
    ) -> None:
        call.answers.append(answered.answer)
        call.variables.update(answered.variables)
        if answered.label is not None:
            call.label = answered.label
        if digits:
            call.digits.append(digits)
        if not fields.is_new_inbound_call:
            call.path.append(_path_step(fields.client_action_id))
        call.last_node = answered.node

    def _plan_of(self, answer: bytes) -> _Plan:
        plan = self._plans.get(answer)
        if plan is None:
            callflow = wire.Callflow.from_wire(json.loads(answer))
            plan = _plan(list(callflow.callflow), callflow.client_action_id, self._defaults)
            if len(self._plans) >= PLANS:
                self._plans.clear()
            self._plans[answer] = plan
        return plan


_path_step = lru_cache(maxsize=PLANS)(path_step)
""":func:`path_step`, kept per clientActionId (a tree answers with few distinct ones)."""


def run_replay(
    engine: Engine,
    callers: list[CallerBehaviour],
    *,
    switches: Mapping[str, Switch] | None = None,
) -> list[Replayed]:
    """Replay ``callers`` one after the other against ``engine``."""
    platform = ReplayPlatform(engine, switches=switches)
    return [platform.replay(caller) for caller in callers]
