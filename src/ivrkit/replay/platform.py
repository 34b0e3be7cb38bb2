"""The simulator, in process, with a tree answering its webhooks: where recorded callers are
played again.

Every call runs through the simulator's own session logic (:class:`SimulatorState`, the
:class:`~ivrkit.simulator.calls.runner.CallRunner`: dialling, prompts and their tries, digit
capture, bridging, the checks of every answer, the summary). Only the webhook's transport is
replaced: the CALL_ACTION body goes to the tree's engine as a function call instead of an HTTP
POST to ``ivrkit serve``. HTTP would cost a hundred times more per call for nothing the replay
asks about (the server's answers are the engine's, byte for byte), and the store of the live
server must not receive replayed calls.

Calls are replayed one after the other, each in its own simulated time starting when the
recorded call started (so business-hours branches take the branch they would have taken then);
no call waits for real time.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ivrkit import outcomes, wire
from ivrkit.replay.behaviour import NONE, CallerBehaviour, path_step
from ivrkit.simulator.account.faults import FaultPlan
from ivrkit.simulator.account.numbers import VirtualNumberSpec, e164
from ivrkit.simulator.account.webhooks import Webhook
from ivrkit.simulator.calls.delivery import Deliverer, DeliveryResult
from ivrkit.simulator.calls.session import Session
from ivrkit.simulator.config import SimulatorConfig
from ivrkit.simulator.state import SimulatorState
from ivrkit.simulator.timelines import InstantTimelines, Timeline
from ivrkit.trees.engine import Engine

__all__ = ["REPLAY_CUSTOMER", "ReplayPlatform", "Replayed"]

SUBACCOUNT = "ivrkit-replay"
REPLAY_CALLER_ID = "+6561115777"
"""Caller ID of a replayed callback when the tree names none (numbers.caller_id)."""
REPLAY_CUSTOMER = "+6500000000"
"""The customer's number when the store has none."""
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""When a replayed call starts if the recording has no start time."""


@dataclass
class Replayed:
    """What a replayed call did."""

    outcome: str | None
    path: tuple[str, ...]
    status: str
    error: str | None = None
    """The simulator's error message when the session ended in ERROR."""


@dataclass
class _Call:
    """What the engine's answers told about one replayed session so far."""

    variables: dict[str, str] = field(default_factory=dict)
    label: str | None = None
    digits: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    last_node: str | None = None


class _TreeDeliverer(Deliverer):
    """Hands each CALL_ACTION to the engine and gives its answer back as the HTTP answer would
    be; nothing else (no VCS or VSS webhook is registered) is ever delivered."""

    def __init__(self, engine: Engine) -> None:  # no HTTP client: nothing goes over the network
        self.faults = FaultPlan()
        self._engine = engine
        self.calls: dict[str, _Call] = {}

    async def deliver(
        self,
        session: Session,
        hook: Webhook,
        body: wire.WireModel,
        *,
        timeline: Timeline,
    ) -> DeliveryResult:
        event = wire.CallActionEvent.model_validate(body)
        call = self.calls[session.id]
        try:
            decision = self._engine.answer(event, call.variables)
        except ValueError as exc:  # a chain of nodes that never waits: the tree cannot answer
            return DeliveryResult(False, 500, b"", f"the tree could not answer: {exc}", 1)
        call.variables.update(decision.variables)
        if decision.label is not None:
            call.label = decision.label
        if event.digits:
            call.digits.append(event.digits)
        if not event.is_new_inbound_call:
            call.path.append(path_step(event.payload.client_action_id))
        call.last_node = decision.node
        answer = json.dumps(decision.callflow.to_wire(), separators=(",", ":")).encode()
        return DeliveryResult(True, 200, answer, None, 1)

    async def send_stale(self, session: Session, stale: Any) -> None:
        return None

    async def flush_stale(self, session: Session) -> None:
        return None


class _ReplayState(SimulatorState):
    def __init__(self, config: SimulatorConfig, deliverer: _TreeDeliverer) -> None:
        super().__init__(config)
        self._tree_deliverer = deliverer

    @property
    def deliverer(self) -> Deliverer:
        return self._tree_deliverer


class ReplayPlatform:
    """A simulator whose VCA webhook is ``engine``; :meth:`replay` plays one recorded caller."""

    def __init__(self, engine: Engine) -> None:
        self._start = EPOCH
        self._timeline: Timeline | None = None
        # The engine's own clock follows the replayed call's simulated time.
        self._engine = Engine(engine.spec, hooks=engine.hooks, clock=self._now)
        self._deliverer = _TreeDeliverer(self._engine)
        config = SimulatorConfig(subaccount=SUBACCOUNT, keep_sessions=1)
        self._state = _ReplayState(config, self._deliverer)
        self._state.webhooks.set(SUBACCOUNT, Webhook(wire.WebhookType.VCA, "replay:engine"))

    def _now(self) -> datetime:
        return self._timeline.now() if self._timeline is not None else self._start

    async def replay(self, caller: CallerBehaviour) -> Replayed:
        start = caller.started_at or EPOCH
        self._start, self._timeline = start, None
        self._state.clock = InstantTimelines(wall=lambda: start)
        customer = e164(caller.customer or REPLAY_CUSTOMER)
        self._state.phones.set(customer, caller.script())
        if caller.direction == "INBOUND":
            number = VirtualNumberSpec(caller.virtual_number or REPLAY_CALLER_ID, "replay")
            session = self._state.start_inbound(customer, number, SUBACCOUNT)
        else:
            caller_id = self._engine.spec.numbers.get("caller_id") or REPLAY_CALLER_ID
            request = self._engine.initial_request(customer, caller_id=caller_id)
            session = self._state.start_outbound(SUBACCOUNT, request)
        self._timeline = session.timeline
        call = self._deliverer.calls[session.id] = _Call()
        try:
            await session.ended.wait()
        finally:
            del self._deliverer.calls[session.id]
            self._state.phones.delete(customer)
        status = session.status or "CANCELED"
        error = session.error[1] if session.error is not None else None
        outcome = outcomes.derive(status, call.label, digits=call.digits)
        return Replayed(
            outcome=outcome,
            path=(*call.path, call.last_node or NONE),
            status=status,
            error=error,
        )

    async def aclose(self) -> None:
        await self._state.aclose()


async def replay_all(engine: Engine, callers: list[CallerBehaviour]) -> list[Replayed]:
    """Replay ``callers`` one after the other against ``engine``."""
    platform = ReplayPlatform(engine)
    try:
        return [await platform.replay(caller) for caller in callers]
    finally:
        await platform.aclose()


def run_replay(engine: Engine, callers: list[CallerBehaviour]) -> list[Replayed]:
    """:func:`replay_all` from synchronous code (the CLI)."""
    return asyncio.run(replay_all(engine, callers))
