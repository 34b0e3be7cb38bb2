"""The telephony under a session: legs ringing, answering and hanging up, call time passing,
CALL_STATUS telemetry, and the summary at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from ivrkit.simulator._account.phones import Answer
from ivrkit.simulator._calls.capture import key_times
from ivrkit.simulator._calls.legs import LegKey, LegState
from ivrkit.simulator._calls.refusals import leg_refusal
from ivrkit.simulator._calls.session import Session
from ivrkit.simulator._calls.transcript import (
    LegChanged,
    LegEvent,
    Note,
    Pressed,
)
from ivrkit.simulator._timelines import race
from ivrkit.wire import (
    EVENT_DESCRIPTIONS,
    CallEventPayload,
    CallStatus,
    CallStatusEvent,
    EventType,
    MakeCallParams,
    SessionStatus,
    WebhookType,
)

if TYPE_CHECKING:
    from ivrkit.simulator._calls.exchange import Exchange

__all__ = ["Line", "PartyHungUp", "SessionFailed"]

VCA_FAILURE_CODE = -2002
"""`errorCode` when the CALL_ACTION webhook cannot be delivered (connection error, timeout or
non-2xx after every attempt): "An internal connectivity error has occurred"."""
INVALID_ANSWER_CODE = -2003
INTERNAL_ERROR_CODE = -2001


class PartyHungUp(Exception):
    def __init__(self, leg: LegKey, why: str) -> None:
        super().__init__(why)
        self.leg = leg
        self.why = why


class SessionFailed(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Line:
    """Legs, time and telemetry of one session; :class:`CallRunner` adds the callflow."""

    def __init__(self, state: Exchange, session: Session) -> None:
        self.state = state
        self.config = state.config
        self.session = session
        self._give_up_at = session.started_at + timedelta(seconds=self.config.max_session_seconds)

    # -- legs --------------------------------------------------------------------------------

    def _new_leg(self, key: LegKey, params: MakeCallParams) -> LegState:
        leg = LegState(
            key=key,
            direction="OUTBOUND",
            source=params.source,
            destination=params.destination,
            script=self.state.phones.get(params.destination),
            initiated=self._now(),
            source_ref_id=self.state.numbers.reference_of(params.source),
        )
        self.session.legs[key] = leg
        if params.call_recording:
            self.state.recordings.request(self.session, leg)
        return leg

    async def _dial(self, leg: LegState) -> bool:
        """Ring a phone; True once it answered, else the leg is over with its outcome."""
        self._leg_event(leg, "dialled")
        self._status(leg, CallStatus.CALL_INITIATED)
        self._refuse_if_unable(leg)
        script = leg.script
        ring = self.config.ring_seconds if script.ring_seconds is None else script.ring_seconds
        if script.answer is Answer.YES:
            await self._wait(ring)
            leg.connected = self._now()
            self._leg_event(leg, "answered")
            self._status(leg, CallStatus.CALL_CONNECTED)
            return True
        outcomes: dict[Answer, tuple[float, str, LegEvent]] = {
            Answer.BUSY: (ring, SessionStatus.BUSY, "busy"),
            Answer.FAIL: (ring, SessionStatus.FAILED, "failed"),
            Answer.NO_ANSWER: (self.config.no_answer_seconds, SessionStatus.NO_ANSWER, "no-answer"),
        }
        seconds, status, event = outcomes[script.answer]
        await self._wait(seconds)
        leg.finish(status, self._now())
        self._leg_event(leg, event)
        self._status(leg, CallStatus.CALL_DISCONNECTED)
        return False

    def _refuse_if_unable(self, leg: LegState) -> None:
        """Fail the session with a run-time error when the platform cannot carry this leg."""
        refusal = leg_refusal(self.state.settings, self.state.trunks_in_use, leg)
        if refusal is None:
            return
        code, detail = refusal
        self._fail_leg(leg, detail)
        raise SessionFailed(code, detail)

    def _fail_leg(self, leg: LegState, detail: str) -> None:
        """This leg ends in ERROR; a caller already on the line is hung up by the platform."""
        leg.finish(SessionStatus.ERROR, self._now())
        self._leg_event(leg, "failed", detail)
        self._status(leg, CallStatus.CALL_DISCONNECTED)
        for other in self.session.legs.values():
            if other is not leg and other.up:
                other.finish(SessionStatus.COMPLETED, self._now())
                self._leg_event(other, "hung-up", "the platform ends the call")
                self._status(other, CallStatus.CALL_DISCONNECTED)

    async def _talk(self, call_b: LegState) -> None:
        """The bridged parties talk; keys the callee presses meanwhile (its script's first
        ``press`` entry) travel in the audio to the caller: no capture runs, so no CALL_ACTION
        follows, and each key is a CALL_STATUS DTMF_RECEIVED of leg B when a VCS webhook is set
        (the spec documents no other trace; this is the simulator's reading)."""
        talk = self.config.talk_seconds
        keys = call_b.script.press[0] if call_b.script.press else ""
        delay_ms = call_b.script.press_delay
        delay = (self.config.press_delay_ms if delay_ms is None else delay_ms) / 1000
        elapsed = 0.0
        for at, key in key_times(keys, delay):
            if at >= talk:
                break
            await self._wait(at - elapsed)
            elapsed = at
            self.session.record(Pressed, leg="callB", key=key)
            self._status(call_b, CallStatus.DTMF_RECEIVED)
        await self._wait(talk - elapsed)

    async def _bridge(self, params: MakeCallParams) -> bool:
        """Dial callB and bridge it to the caller; True when the caller is still on the line
        afterwards (callB hung up first), so the session's callflow goes on."""
        if "callB" in self.session.legs:
            raise SessionFailed(INVALID_ANSWER_CODE, "a session holds at most two calls")
        call_a, call_b = self.session.legs["callA"], self._new_leg("callB", params)
        try:
            answered = await self._dial(call_b)
        except PartyHungUp as hung:  # the caller left while the callee was ringing
            self._note(hung.why)
            self._end_legs(SessionStatus.CANCELED)
            return False
        if not answered:
            call_a.finish(SessionStatus.COMPLETED, self._now())
            self._leg_event(call_a, "hung-up", "the platform ends the call")
            self._status(call_a, CallStatus.CALL_DISCONNECTED)
            return False
        self._leg_event(call_b, "bridged", f"with {call_a.phone}")
        try:
            await self._talk(call_b)
            self._note(f"talk time over ({self.config.talk_seconds:g}s): callB hangs up")
        except PartyHungUp as hung:
            self._note(hung.why)
            if hung.leg == "callA":
                self._hang_up_all()
                return False
        call_b.finish(SessionStatus.COMPLETED, self._now())
        self._leg_event(call_b, "hung-up")
        self._status(call_b, CallStatus.CALL_DISCONNECTED)
        return True

    def _hang_up_all(self) -> None:
        """Normal end: connected legs COMPLETED, legs still ringing CANCELED."""
        for leg in self.session.legs.values():
            if leg.up:
                leg.finish(SessionStatus.COMPLETED, self._now())
                self._leg_event(leg, "hung-up")
                self._status(leg, CallStatus.CALL_DISCONNECTED)
            elif not leg.over:
                leg.finish(SessionStatus.CANCELED, self._now())
                self._leg_event(leg, "canceled")
                self._status(leg, CallStatus.CALL_DISCONNECTED)

    def _end_legs(self, status: str) -> None:
        for leg in self.session.legs.values():
            if not leg.over:
                leg.finish(status, self._now())
                self._leg_event(leg, "canceled" if status == "CANCELED" else "disconnected")
                self._status(leg, CallStatus.CALL_DISCONNECTED)

    def _leg_event(self, leg: LegState, event: LegEvent, detail: str | None = None) -> None:
        self.session.record(
            LegChanged,
            leg=leg.key,
            event=event,
            number=leg.phone,
            call_id=leg.call_id,
            detail=detail,
        )

    # -- time --------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.session.now()

    def _since(self, start: datetime) -> float:
        return (self._now() - start).total_seconds()

    def _next_hangup(self) -> tuple[datetime, LegKey, str] | None:
        """The next scripted hang-up (or the session's time limit) as (when, leg, why)."""
        first: tuple[datetime, LegKey, str] = (
            self._give_up_at,
            "callA",
            "caller gave up: the session reached max_session_seconds",
        )
        for leg in self.session.legs.values():
            at = leg.hangup_at
            if at is not None and leg.up and at < first[0]:
                first = (at, leg.key, f"{leg.key} hung up after {leg.script.hangup_after}s")
        return first

    async def _wait(self, seconds: float) -> None:
        """Let call time pass; a party hanging up meanwhile raises :class:`PartyHungUp`."""
        scripted = self._next_hangup()
        if scripted is not None:
            until = (scripted[0] - self._now()).total_seconds()
            if until <= seconds:
                await self._sleep(until)
                raise PartyHungUp(scripted[1], scripted[2])
        await self._sleep(seconds)

    async def _sleep(self, seconds: float) -> None:
        session = self.session
        if not session.hangup_requested.is_set() and seconds > 0:
            if session.timeline.waits:
                await race(session.timeline, session.hangup_requested.wait(), seconds)
            else:  # the sleep returns at once: a hang-up meanwhile is seen just below
                await session.timeline.sleep(seconds)
        if session.hangup_requested.is_set():
            raise PartyHungUp(session.hangup_leg, f"{session.hangup_leg} hung up")

    # -- telemetry and the end ---------------------------------------------------------------

    def _event_fields(self, leg: LegState, call_status: CallStatus) -> dict[str, Any]:
        fields = leg.event_fields(self._now())
        fields.update(
            event_id=str(uuid4()),
            session_id=self.session.id,
            sub_account_id=self.session.sub_account_id,
            call_status=call_status,
        )
        return fields

    def _status(self, leg: LegState, call_status: CallStatus) -> None:
        """A CALL_STATUS event to the VCS webhook, if one is registered.

        Sent in the background so a slow receiver never holds up the call, but one after the
        other within a session, so they arrive in the order they happened.
        """
        session = self.session
        hook = self.state.webhooks.active(session.sub_account_id, WebhookType.VCS)
        if hook is None:
            return
        event = CallStatusEvent(
            namespace="VOICE",
            event_type=EventType.CALL_STATUS,
            description=EVENT_DESCRIPTIONS[EventType.CALL_STATUS],
            payload=CallEventPayload.model_validate(self._event_fields(leg, call_status)),
        )
        delivery = self.state.deliverer.deliver(
            session, hook, event, timeline=self.state.clock.timeline()
        )
        task = asyncio.ensure_future(_after(set(session.telemetry), delivery))
        session.telemetry.add(task)
        task.add_done_callback(session.telemetry.discard)

    async def _finish(self) -> None:
        session = self.session
        if session.telemetry:
            bound = self.config.webhook_timeout * self.config.delivery_attempts + 1
            await asyncio.wait(set(session.telemetry), timeout=bound)
        summary = session.summary_event(self.config.call_quality)
        hook = self.state.webhooks.active(session.sub_account_id, WebhookType.VSS)
        if hook is None:
            self._note("no enabled VSS webhook: the summary is only kept here")
        else:
            await self.state.deliverer.deliver(session, hook, summary, timeline=session.timeline)
        if session.in_flight:
            bound = self.config.webhook_timeout * self.config.delivery_attempts + 1
            await asyncio.wait(set(session.in_flight), timeout=bound)
        await self.state.deliverer.flush_stale(session)
        session.close(summary)

    def _note(self, text: str) -> None:
        self.session.record(Note, text=text)


async def _after(earlier: set[asyncio.Task[Any]], work: Coroutine[Any, Any, Any]) -> None:
    """Run ``work`` once the earlier deliveries are done (whatever their outcome)."""
    try:
        if earlier:
            await asyncio.wait(earlier)
    except asyncio.CancelledError:
        work.close()  # never started: close it rather than leave it un-awaited
        raise
    await work
