"""Running one session like a call: dial, speak, collect digits, ask the backend, bridge, end.

Callflows run action by action (spec §6.3, simulator default): when a `sayAndCapture` ends, the
CALL_ACTION webhook goes out at once and the backend's answer *replaces* the rest of the current
callflow; a callflow that runs out of actions while the call is up asks again with dtmf null.
Run-time errors (-2004…-2010) are decided by :mod:`ivrkit.simulator._calls.refusals`; injected
call faults (late digits, a hang-up while a webhook is in flight) by
:mod:`ivrkit.simulator._account.faults`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Literal

from ivrkit.simulator._account.numbers import VirtualNumberSpec
from ivrkit.simulator._calls.capture import CaptureSettings, Collector, key_times
from ivrkit.simulator._calls.legs import LegState
from ivrkit.simulator._calls.line import (
    INTERNAL_ERROR_CODE,
    INVALID_ANSWER_CODE,
    VCA_FAILURE_CODE,
    Line,
    PartyHungUp,
    SessionFailed,
)
from ivrkit.simulator._calls.refusals import (
    CALLER_ID_API_CODE,
    DOWNLOAD_CODE,
    EXPIRED_CODE,
    answer_failure_code,
    speech_refusal,
)
from ivrkit.simulator._calls.session import HANGUP_KEY, SILENCE_KEY
from ivrkit.simulator._calls.transcript import (
    CallflowReceived,
    Captured,
    Note,
    Played,
    Pressed,
    Spoken,
)
from ivrkit.simulator._timelines import race
from ivrkit.wire import (
    EVENT_DESCRIPTIONS,
    AnyAction,
    CallActionEvent,
    CallActionPayload,
    CallStatus,
    EventData,
    EventType,
    Hangup,
    MakeCall,
    PlayFile,
    PlayFileParams,
    Say,
    SayAndCapture,
    SayAndCaptureParams,
    SendCallflowRequest,
    SessionStatus,
    WebhookType,
    parse_valid_until,
)

__all__ = ["CallRunner"]

Purpose = Literal["say", "prompt", "success", "failure"]

log = logging.getLogger(__name__)


class CallRunner(Line):
    """Runs a session's callflows action by action."""

    # -- entry points ------------------------------------------------------------------------

    async def outbound(self, request: SendCallflowRequest) -> None:
        await self._run(self._outbound(request))

    async def inbound(self, number: VirtualNumberSpec) -> None:
        await self._run(self._inbound(number))

    async def _run(self, work: Coroutine[Any, Any, None]) -> None:
        session = self.session
        try:
            try:
                await work
            except PartyHungUp as hung:
                self._note(hung.why)
                self._hang_up_all()
            except SessionFailed as failure:
                self._note(failure.detail)
                session.fail(failure.code)
                self._end_legs(SessionStatus.ERROR)
            except Exception:  # the outermost boundary of a session: end it, keep the simulator
                log.exception("session %s crashed", session.id)
                self._note("internal error of the simulator (see its log)")
                session.fail(INTERNAL_ERROR_CODE)
                self._end_legs(SessionStatus.ERROR)
            await self._finish()
        except asyncio.CancelledError:
            session.close(None)
            raise

    async def _outbound(self, request: SendCallflowRequest) -> None:
        first = request.callflow[0]
        if not isinstance(first, MakeCall):  # the rules guarantee it; never trust silently
            raise SessionFailed(INVALID_ANSWER_CODE, "the first action is not makeCall")
        self.session.last_action = first.last_action
        delay = self.state.settings.dial_delay
        if delay > 0:
            self._note(f"the platform dials after {delay:g}s")
            await self._wait(delay)
        leg = self._new_leg("callA", first.params)
        if request.valid_until is not None:
            expiry = parse_valid_until(request.valid_until)
            if self._now() > expiry:
                detail = f"validUntil {request.valid_until} passed before the call could be made"
                self._fail_leg(leg, detail)
                raise SessionFailed(EXPIRED_CODE, detail)
        if await self._dial(leg):
            await self._execute(list(request.callflow[1:]))

    async def _inbound(self, number: VirtualNumberSpec) -> None:
        session = self.session
        leg = LegState(
            key="callA",
            direction="INBOUND",
            source=session.caller,
            destination=number.number,
            script=self.state.phones.get(session.caller),
            initiated=self._now(),
            destination_ref_id=number.reference_id,
        )
        session.legs["callA"] = leg
        self._leg_event(leg, "received")
        self._status(leg, CallStatus.CALL_RECEIVED)
        self._refuse_if_unable(leg)
        flow = await self._ask(CallStatus.CALL_RECEIVED, None)
        if flow is None:
            raise SessionFailed(VCA_FAILURE_CODE, "no enabled VCA webhook to ask for a callflow")
        leg.connected = self._now()
        self._leg_event(leg, "answered")
        self._status(leg, CallStatus.CALL_CONNECTED)
        await self._execute(flow)

    # -- callflow execution ------------------------------------------------------------------

    async def _execute(self, actions: list[AnyAction]) -> None:
        exchanges = 0
        while True:
            captured = False
            digits: str | None = None
            for action in actions:
                self.session.last_action = action.last_action
                if isinstance(action, Hangup):
                    self._note("hangup action: the platform ends every leg")
                    self._hang_up_all()
                    return
                if isinstance(action, MakeCall):
                    if not await self._bridge(action.params):
                        return
                    continue
                if isinstance(action, Say):
                    params = action.params
                    await self._speak(
                        params.text, params.voice_profile, params.speed, params.repetition, "say"
                    )
                elif isinstance(action, PlayFile):
                    await self._play(action.params)
                elif isinstance(action, SayAndCapture):
                    digits = await self._capture(action.params)
                    captured = True
                    break
            next_flow = await self._ask(CallStatus.ACTION_COMPLETED, digits, captured=captured)
            if next_flow is None:
                self._hang_up_all()
                return
            exchanges += 1
            if exchanges >= self.config.max_call_actions:
                raise PartyHungUp("callA", f"caller gave up after {exchanges} CALL_ACTION answers")
            actions = next_flow

    async def _speak(
        self,
        text: str,
        voice: str | None,
        speed: float | None,
        repetition: int | None,
        purpose: Purpose,
    ) -> None:
        refusal = speech_refusal(self.state.settings, text, voice)
        if refusal is not None:
            raise SessionFailed(*refusal)
        seconds = self._speech_seconds(text, speed, repetition)
        self.session.record(
            Spoken,
            text=text,
            voice_profile=voice,
            purpose=purpose,
            speed=speed or 1.0,
            repetition=repetition or 1,
            seconds=round(seconds, 3),
        )
        await self._wait(seconds)

    def _speech_seconds(self, text: str, speed: float | None, repetition: int | None) -> float:
        return len(text) / self.config.chars_per_second / (speed or 1.0) * (repetition or 1)

    async def _play(self, params: PlayFileParams) -> None:
        if self.state.settings.fetch_files:
            await self._fetch(params.file_url)
        seconds = self.config.file_seconds * params.repetition
        self.session.record(
            Played, file_url=params.file_url, repetition=params.repetition, seconds=seconds
        )
        await self._wait(seconds)

    async def _fetch(self, url: str) -> None:
        """Download a playFile URL as the platform does (cached an hour by URL); -2006 if not."""
        now, cache = self._now().timestamp(), self.state.fetched
        if cache.fresh(url, now):
            return
        problem = await cache.problem(url, self.config.webhook_timeout)
        if problem is not None:
            raise SessionFailed(DOWNLOAD_CODE, f"playFile {url}: {problem}")
        self._note(f"downloaded {url} (cached for an hour)")
        cache.add(url, now)

    async def _capture(self, params: SayAndCaptureParams) -> str | None:
        settings = CaptureSettings.from_params(params, self.config.capture_defaults)
        leg = self.session.legs["callA"]
        voice, speed, repetition = params.voice_profile, params.speed, params.repetition
        leg.captures_heard += 1
        by_capture = leg.script.counts == "captures"
        for attempt in range(1, settings.tries + 1):
            leg.prompts_heard += 1
            self._drain_keypad()
            heard = leg.captures_heard if by_capture else leg.prompts_heard
            if leg.script.hangup_during_prompt == heard and (attempt == 1 or not by_capture):
                seconds = self._speech_seconds(params.prompt_message, speed, repetition)
                self.session.record(Spoken, text=params.prompt_message, purpose="prompt")
                await self._wait(seconds / 2)
                raise PartyHungUp("callA", f"caller hung up during prompt {leg.prompts_heard}")
            await self._speak(params.prompt_message, voice, speed, repetition, "prompt")
            late = self.state.faults.take_call("late_digits")
            if late:
                self._note("fault: the caller's keys come after the capture's timeout")
            if self.session.interactive:
                collector = await self._collect_live(settings, late=late)
            else:
                collector = await self._collect_scripted(settings, leg, late=late)
            self.session.record(
                Captured,
                attempt=attempt,
                tries=settings.tries,
                digits=collector.digits,
                dtmf=collector.dtmf,
                valid=collector.dtmf is not None,
                ended_by=str(collector.reason),
                ignored=collector.ignored,
            )
            if collector.dtmf is not None:
                self._status(leg, CallStatus.DTMF_RECEIVED)
                if params.success_message:
                    await self._speak(params.success_message, voice, speed, 1, "success")
                return collector.dtmf
            if params.failure_message:
                await self._speak(params.failure_message, voice, speed, 1, "failure")
        return None

    async def _collect_scripted(
        self, settings: CaptureSettings, leg: LegState, *, late: bool = False
    ) -> Collector:
        press = leg.script.press
        if leg.script.counts == "captures":
            leg.presses_used = leg.captures_heard - 1
        entry = press[leg.presses_used] if leg.presses_used < len(press) else ""
        if leg.script.counts == "prompts":
            leg.presses_used += 1
        delay_ms = leg.script.press_delay
        delay = (self.config.press_delay_ms if delay_ms is None else delay_ms) / 1000
        collector = Collector(settings)
        elapsed = 0.0
        offset = settings.overall_timeout if late else 0.0
        for at, key in key_times(entry, delay):
            at += offset
            if not collector.done and at >= collector.deadline:
                await self._wait(collector.deadline - elapsed)
                elapsed = collector.deadline
                collector.expire()
            if not collector.done:
                await self._wait(at - elapsed)
                elapsed = at
                self.session.record(Pressed, key=key)
            collector.feed(key, at)
        if not collector.done:
            await self._wait(collector.deadline - elapsed)
            collector.expire()
        return collector

    async def _collect_live(self, settings: CaptureSettings, *, late: bool = False) -> Collector:
        collector = Collector(settings)
        start = self._now()
        while not collector.done:
            remaining = collector.deadline - self._since(start)
            if self.session.stepped:
                key = await self._next_stepped_key(remaining)
            else:
                key = await self._next_key(remaining) if remaining > 0 else None
            if key is None:
                collector.expire()
                break
            at = self._since(start)
            if late:
                at = max(at, collector.deadline)
            else:
                self.session.record(Pressed, key=key)
            collector.feed(key, at)
        if self.session.stepped:
            self._drain_keypad()
        return collector

    async def _next_stepped_key(self, remaining: float) -> str | None:
        """A key from the test driving the call; None once it says nothing more comes (the
        capture then ends as its timeout would, without waiting)."""
        try:
            key = await asyncio.wait_for(self.session.keypad.get(), self.session.patience)
        except TimeoutError:
            self._note(f"no key within {self.session.patience:g}s of real time: taken as silence")
            key = SILENCE_KEY
        if key == HANGUP_KEY:
            raise PartyHungUp(self.session.hangup_leg, f"{self.session.hangup_leg} hung up")
        if key == SILENCE_KEY:
            await self._wait(max(remaining, 0.0))
            return None
        return key

    def _drain_keypad(self) -> None:
        while not self.session.keypad.empty():
            if self.session.keypad.get_nowait() == HANGUP_KEY:
                raise PartyHungUp(self.session.hangup_leg, f"{self.session.hangup_leg} hung up")

    async def _next_key(self, seconds: float) -> str | None:
        limit, scripted = seconds, self._next_hangup()
        if scripted is not None and (scripted[0] - self._now()).total_seconds() < limit:
            limit = max((scripted[0] - self._now()).total_seconds(), 0.0)
        else:
            scripted = None
        key = await race(self.session.timeline, self.session.keypad.get(), limit)
        if key == HANGUP_KEY:
            raise PartyHungUp(self.session.hangup_leg, f"{self.session.hangup_leg} hung up")
        if key is None and scripted is not None:
            raise PartyHungUp(scripted[1], scripted[2])
        return key

    # -- asking the backend ------------------------------------------------------------------

    async def _ask(
        self, call_status: CallStatus, digits: str | None, *, captured: bool = False
    ) -> list[AnyAction] | None:
        """Send a CALL_ACTION and return the answered callflow (None: no VCA webhook)."""
        session, state = self.session, self.state
        hook = state.webhooks.active(session.sub_account_id, WebhookType.VCA)
        if hook is None:
            self._note("no enabled VCA webhook: nothing to ask, so the platform hangs up")
            return None
        fields = self._event_fields(session.legs["callA"], call_status)
        if call_status is not CallStatus.CALL_RECEIVED:
            if self.config.legacy_dtmf:
                if captured:
                    fields["call_status"] = CallStatus.DTMF_RECEIVED
                fields["legacy_dtmf"] = digits
            else:
                fields["event_data"] = EventData(dtmf=digits)
            if session.client_action_id is not None:
                fields["client_action_id"] = session.client_action_id
        event = CallActionEvent(
            namespace="VOICE",
            event_type=EventType.CALL_ACTION,
            description=EVENT_DESCRIPTIONS[EventType.CALL_ACTION],
            payload=CallActionPayload.model_validate(fields),
        )
        delivery = state.deliverer.deliver(session, hook, event, timeline=session.timeline)
        if session.legs["callA"].up and state.faults.take_call("hangup_in_flight"):
            task = asyncio.ensure_future(delivery)
            session.in_flight.add(task)
            session.record(Note, text="fault: the caller hangs up while CALL_ACTION is in flight")
            raise PartyHungUp("callA", "callA hung up while the CALL_ACTION webhook was in flight")
        result = await delivery
        if not result.ok:
            raise SessionFailed(
                VCA_FAILURE_CODE,
                f"CALL_ACTION webhook failed {result.attempts} time(s), last: {result.error}",
            )
        judged = state.answers.judge(result.body, state.rules_platform(session))
        verdict, answer = judged.verdict, judged.shown
        session.record(
            CallflowReceived,
            origin="answer",
            client_action_id=answer.get("clientActionId") if isinstance(answer, dict) else None,
            callflow=answer.get("callflow") if isinstance(answer, dict) else answer,
            status_code=verdict.status_code,
            status_message=verdict.status_message,
        )
        caller_ids_only = bool(verdict.findings) and all(
            finding.code == CALLER_ID_API_CODE for finding in verdict.findings
        )
        if not verdict.ok and not caller_ids_only:  # a caller ID is judged when dialled: -2008
            where = verdict.findings[0].path if verdict.findings else None
            detail = f"invalid answer: {verdict.status_code} {verdict.status_message}"
            code = answer_failure_code(verdict, answer)
            raise SessionFailed(code, detail + (f" at {where}" if where else ""))
        if judged.actions is None:
            raise SessionFailed(INVALID_ANSWER_CODE, f"invalid answer: {judged.refusal}")
        session.client_action_id = judged.client_action_id
        return list(judged.actions)
