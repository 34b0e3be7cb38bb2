"""The ``/sim/v1`` control API: script phones, place inbound calls, read transcripts, step time.

Routes (JSON, camelCase; no authentication — the simulator is a local tool):

==========================================  ===================================================
``PUT    /sim/v1/phones/{number}``          script a phone (:class:`PhoneScript`)
``PUT    /sim/v1/phones``                   many at once (:class:`PhoneScenario`: a list of
                                            ``{number, script}``, or ``{phones, patterns,
                                            default}``); merges into the book, or with
                                            ``?replace=true`` takes its place; answers
                                            :class:`PhoneBookSize`
``GET    /sim/v1/phones``                   every scripted phone, pattern and the default
``DELETE /sim/v1/phones/{number}``          forget a phone's script
``POST   /sim/v1/calls``                    ``{"from", "to", "subAccountId"?}``: inbound call
``GET    /sim/v1/sessions``                 sessions at a glance (:class:`SessionInfo`)
``GET    /sim/v1/sessions/{id}``            one session with its transcript (:class:`SessionView`);
                                            ``?after=<seq>`` only newer entries, ``?wait=<s>``
                                            long-polls (≤ 30 s) for a newer entry or the end
``POST   /sim/v1/sessions/{id}/press``      ``{"digits": "12#"}``: keys from an interactive phone
``POST   /sim/v1/sessions/{id}/hangup``     ``{"leg": "callA"|"callB"}`` (default callA)
``POST   /sim/v1/reset``                    forget sessions, webhooks, phones and faults;
                                            settings and phones return to the configured ones
``GET    /sim/v1/settings``                 the run-time settings (:class:`PlatformSettings`)
``PATCH  /sim/v1/settings``                 change some (``{"trunkCapacity": 2}``,
                                            ``{"rateLimit": 50}``; null: no limit)
``GET    /sim/v1/faults``                   the faults still to inject (:class:`FaultPlan`)
``PUT    /sim/v1/faults``                   inject faults (``{"lateAnswers": 1}``); replaces
``DELETE /sim/v1/faults``                   inject nothing more
``GET    /sim/v1/clock``                    ``{"mode", "speed", "now"}``
``POST   /sim/v1/clock/advance``            ``{"seconds": n}``: manual clock only (else 409)
==========================================  ===================================================
"""

from __future__ import annotations

import math
import re
from http import HTTPStatus
from typing import Any, Literal

from pydantic import Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ivrkit.simulator._account.faults import FaultPlan
from ivrkit.simulator._account.numbers import e164
from ivrkit.simulator._account.phones import PhoneEntry, PhoneScript
from ivrkit.simulator._account.scenario import PhoneBookSize, PhoneScenario
from ivrkit.simulator._account.settings import SettingsPatch
from ivrkit.simulator._base import ControlModel
from ivrkit.simulator._bodies import BadJson, read_json
from ivrkit.simulator._state import SimulatorState
from ivrkit.simulator._timelines import ManualTimeline, iso_ms
from ivrkit.wire import WebhookType

__all__ = [
    "AdvanceRequest",
    "ClockInfo",
    "HangupRequest",
    "InboundCall",
    "PressRequest",
    "control_routes",
]

MAX_WAIT = 30.0


class InboundCall(ControlModel):
    from_: str = Field(alias="from")
    to: str
    sub_account_id: str | None = None


class InboundCallStarted(ControlModel):
    session_id: str
    sub_account_id: str


PHONE_NUMBER = re.compile(r"\+?[0-9][0-9 \-]{5,20}")


class PressRequest(ControlModel):
    digits: str = Field(default="", pattern=r"^[0-9*#]*$")
    silence: bool = Field(
        default=False, description="After the keys, nothing more: the capture may time out."
    )


class HangupRequest(ControlModel):
    leg: Literal["callA", "callB"] = "callA"


MAX_ADVANCE_SECONDS = 366 * 86400.0
"""One step of a manual clock: a year at most (a datetime cannot go much further)."""


class AdvanceRequest(ControlModel):
    seconds: float = Field(ge=0, le=MAX_ADVANCE_SECONDS)


class ClockInfo(ControlModel):
    mode: str
    speed: float | None
    now: str


PROBLEM_JSON = "application/problem+json"


def _error(
    status: int, message: str, *, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    """A problem document (RFC 9457); ``error`` repeats ``detail`` for older clients."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message,
        "error": message,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _ok(model: ControlModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.to_json_dict(), status_code=status)


async def _body(request: Request, model: type[Any]) -> Any:
    try:
        data = read_json(await request.body(), empty={})
    except BadJson as exc:
        raise _BadRequest(str(exc)) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(part) for part in error["loc"]) or "(body)",
                "message": error["msg"],
            }
            for error in exc.errors(include_url=False)
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise _BadRequest(f"invalid {model.__name__}: {detail}", errors) from None


class _BadRequest(Exception):
    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors


class Control:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    async def set_phone(self, request: Request) -> Response:
        if not PHONE_NUMBER.fullmatch(request.path_params["number"]):
            return _error(400, "a phone number is digits, with an optional leading '+'")
        script: PhoneScript = await _body(request, PhoneScript)
        try:
            entry = PhoneEntry(number=request.path_params["number"], script=script)
        except ValidationError as exc:
            return _error(400, exc.errors(include_url=False)[0]["msg"])
        self.state.phones.set(entry.number, script)
        return _ok(entry)

    async def delete_phone(self, request: Request) -> Response:
        if not self.state.phones.delete(request.path_params["number"]):
            return _error(404, "no script for that number")
        return Response(status_code=204)

    async def set_phones(self, request: Request) -> Response:
        replace = request.query_params.get("replace", "false").lower()
        if replace not in ("true", "false"):
            return _error(400, "replace is true or false")
        scenario: PhoneScenario = await _body(request, PhoneScenario)
        book = self.state.phones
        try:
            book.load(
                scenario.phones,
                scenario.patterns,
                default=scenario.default,
                set_default=scenario.sets_default,
                replace=replace == "true",
            )
        except ValueError as exc:
            return _error(400, str(exc))
        size = PhoneBookSize(
            phones=len(book),
            patterns=len(book.patterns),
            has_default=book.default is not None,
        )
        return _ok(size)

    async def list_phones(self, request: Request) -> Response:
        book = self.state.phones
        entries = [PhoneEntry(number=n, script=s).to_json_dict() for n, s in book.items()]
        return JSONResponse(
            {
                "phones": entries,
                "patterns": [pattern.to_json_dict() for pattern in book.patterns],
                "default": None if book.default is None else book.default.to_json_dict(),
            }
        )

    async def inbound_call(self, request: Request) -> Response:
        call: InboundCall = await _body(request, InboundCall)
        number = self.state.numbers.find(call.to)
        if number is None:
            known = ", ".join(spec.number for spec in self.state.numbers.all) or "none"
            return _error(404, f"{e164(call.to)} is not a virtual number (known: {known})")
        sub = self.state.inbound_subaccount(number, call.sub_account_id)
        if sub is None or self.state.webhooks.active(sub, WebhookType.VCA) is None:
            where = sub or "<subaccount>"
            return _error(
                409,
                f"no enabled VCA webhook for subaccount {where}: register one with "
                f"POST /api/v1/subaccounts/{where}/webhooks before calling in",
            )
        session = self.state.start_inbound(call.from_, number, sub)
        return _ok(InboundCallStarted(session_id=session.id, sub_account_id=sub), 201)

    async def sessions(self, request: Request) -> Response:
        infos = [s.info().to_json_dict() for s in self.state.sessions.values()]
        return JSONResponse({"sessions": infos})

    async def session(self, request: Request) -> Response:
        session = self.state.sessions.get(request.path_params["session_id"])
        if session is None:
            return _error(404, "no such session")
        try:
            after = int(request.query_params.get("after", "0"))
            wait = float(request.query_params.get("wait", "0"))
        except ValueError:
            wait = math.nan
        if not math.isfinite(wait):
            return _error(400, "after must be an integer and wait a number of seconds")
        wait = min(wait, MAX_WAIT)
        if wait > 0:
            await session.changed(after, wait)
        return _ok(session.view(after))

    async def press(self, request: Request) -> Response:
        press: PressRequest = await _body(request, PressRequest)
        session = self.state.sessions.get(request.path_params["session_id"])
        if session is None:
            return _error(404, "no such session")
        if not session.active:
            return _error(409, "the session has ended")
        if not session.interactive:
            return _error(409, 'the phone is scripted; set "interactive": true to press live')
        if not press.digits and not press.silence:
            return _error(400, "press some digits, or send silence: true")
        session.press(press.digits, then_silence=press.silence)
        return JSONResponse({"accepted": press.digits}, status_code=202)

    async def hangup(self, request: Request) -> Response:
        hangup: HangupRequest = await _body(request, HangupRequest)
        session = self.state.sessions.get(request.path_params["session_id"])
        if session is None:
            return _error(404, "no such session")
        if not session.active:
            return _error(409, "the session has ended")
        session.request_hangup(hangup.leg)
        return JSONResponse({"accepted": hangup.leg}, status_code=202)

    async def reset(self, request: Request) -> Response:
        await self.state.reset()
        return Response(status_code=204)

    async def settings(self, request: Request) -> Response:
        return _ok(self.state.settings)

    async def change_settings(self, request: Request) -> Response:
        patch: SettingsPatch = await _body(request, SettingsPatch)
        try:
            self.state.settings = patch.apply(self.state.settings)
        except ValidationError as exc:
            return _error(400, str(exc))
        return _ok(self.state.settings)

    async def faults(self, request: Request) -> Response:
        return _ok(self.state.faults)

    async def set_faults(self, request: Request) -> Response:
        self.state.faults = await _body(request, FaultPlan)
        return _ok(self.state.faults)

    async def clear_faults(self, request: Request) -> Response:
        self.state.faults = FaultPlan()
        return Response(status_code=204)

    async def clock(self, request: Request) -> Response:
        return _ok(self._clock_info())

    async def advance(self, request: Request) -> Response:
        advance: AdvanceRequest = await _body(request, AdvanceRequest)
        clock = self.state.clock
        if not isinstance(clock, ManualTimeline):
            return _error(409, f"the clock is {clock.mode}; only a manual clock can be advanced")
        await clock.advance(advance.seconds)
        return _ok(self._clock_info())

    def _clock_info(self) -> ClockInfo:
        clock = self.state.clock
        return ClockInfo(mode=clock.mode, speed=clock.speed, now=iso_ms(clock.now()))


def _handled(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            response: Response = await handler(request)
        except _BadRequest as exc:
            return _error(400, str(exc), errors=exc.errors)
        return response

    return endpoint


def control_routes(state: SimulatorState) -> list[BaseRoute]:
    control = Control(state)
    table: list[tuple[str, str, Any]] = [
        ("/sim/v1/phones/{number}", "PUT", control.set_phone),
        ("/sim/v1/phones/{number}", "DELETE", control.delete_phone),
        ("/sim/v1/phones", "GET", control.list_phones),
        ("/sim/v1/phones", "PUT", control.set_phones),
        ("/sim/v1/calls", "POST", control.inbound_call),
        ("/sim/v1/sessions", "GET", control.sessions),
        ("/sim/v1/sessions/{session_id}", "GET", control.session),
        ("/sim/v1/sessions/{session_id}/press", "POST", control.press),
        ("/sim/v1/sessions/{session_id}/hangup", "POST", control.hangup),
        ("/sim/v1/reset", "POST", control.reset),
        ("/sim/v1/settings", "GET", control.settings),
        ("/sim/v1/settings", "PATCH", control.change_settings),
        ("/sim/v1/faults", "GET", control.faults),
        ("/sim/v1/faults", "PUT", control.set_faults),
        ("/sim/v1/faults", "DELETE", control.clear_faults),
        ("/sim/v1/clock", "GET", control.clock),
        ("/sim/v1/clock/advance", "POST", control.advance),
    ]
    return [Route(path, _handled(handler), methods=[method]) for path, method, handler in table]
