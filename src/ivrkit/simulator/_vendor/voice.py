"""The Voice REST API under the vendor's paths, answering with the platform's bodies and statuses.

Served: Send Callflow (rate-limited when the settings say so:
:mod:`~ivrkit.simulator._account.ratelimit`), webhooks (create/list/delete), speech profiles,
virtual numbers, recordings (:mod:`~ivrkit.simulator._vendor.recordings`), log exports
(:mod:`~ivrkit.simulator._vendor.exports`). Every callflow is judged by
:func:`ivrkit.rules.validate`; every body is built from :mod:`ivrkit.wire`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from functools import partial
from uuid import uuid4

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ivrkit.rules import STATUS_MESSAGES, Mode, validate
from ivrkit.simulator._account.ratelimit import RATE_LIMITED_MESSAGE, retry_after_header
from ivrkit.simulator._account.webhooks import Webhook
from ivrkit.simulator._bodies import BadJson, read_json
from ivrkit.simulator._state import SimulatorState
from ivrkit.simulator._timelines import iso_ms
from ivrkit.simulator._vendor.answers import (
    PREFIX,
    Endpoint,
    Handler,
    export_error,
    invalid_param,
    known_fields,
    routes_by_path,
    wire_json,
)
from ivrkit.simulator._vendor.exports import export_downloads, export_routes
from ivrkit.simulator._vendor.recordings import recording_routes
from ivrkit.wire import (
    ApiErrorBody,
    NumberCheckResponse,
    SendCallflowRequest,
    SendCallflowResponse,
    SessionCreation,
    SpeechProfile,
    SpeechProfilesResponse,
    VirtualNumber,
    VirtualNumbersResponse,
    WebhookCreateRequest,
    WebhookDeleteResponse,
    WebhookListResponse,
    WebhookType,
)
from ivrkit.wire._api import NumberCheckPayload, NumberHealth

__all__ = ["PREFIX", "voice_api_routes"]

_SUBACCOUNT = re.compile(r"^[A-Za-z0-9\-._&]{3,50}$")
_NUMBER = re.compile(r"^\+?[0-9]{7,15}$")
_URL = re.compile(r"^https?://[\x21-\x7e]+$", re.IGNORECASE)
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]{1,4096}$")
"""What can go out verbatim as an HTTP header: printable ASCII, no line breaks."""
_UNAUTHORIZED = STATUS_MESSAGES[401]
_LOCALES = {"en-US": "EnglishUS", "en-GB": "EnglishGB", "en-IE": "EnglishIE", "da-DK": "Danish"}
_MALE_VOICES = ("Benjamin",)


class VoiceApi:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    def guarded(
        self, handler: Handler, *, callflow: bool = False, export: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """Check the API key and the subaccount before ``handler`` (401, then 404), answering
        in the body shape of the operation: callflow, configuration or log export (A26)."""

        async def endpoint(request: Request) -> Response:
            sub = request.path_params["sub_account_id"]
            key = self.state.config.api_key
            if key is not None and not _bearer_matches(
                request.headers.getlist("authorization"), key
            ):
                return self._refusal(401, _UNAUTHORIZED, callflow=callflow, export=export)
            if not _SUBACCOUNT.match(sub) or not self.state.subaccount_exists(sub):
                message = f"SubAccount not found by Id : {sub}"
                return self._refusal(404, message, callflow=callflow, export=export)
            return await handler(request, sub)

        return endpoint

    def _refusal(self, status: int, message: str, *, callflow: bool, export: bool) -> Response:
        if callflow:
            return wire_json(_callflow_failure(status, message), status)
        if export:
            return export_error(status, status, message)
        return wire_json(ApiErrorBody(status_code=status, status_message=message), status)

    async def send_callflow(self, request: Request, sub: str) -> Response:
        wait = self.state.rate_limited()
        if wait > 0:
            refusal = wire_json(_callflow_failure(429, RATE_LIMITED_MESSAGE), 429)
            refusal.headers["Retry-After"] = retry_after_header(wait)
            return refusal
        body = await request.body()
        verdict = validate(body, mode=Mode.REQUEST, platform=self.state.rules_platform(sub))
        request_id = str(uuid4())
        if not verdict.ok:
            return wire_json(verdict.to_response(request_id=request_id), verdict.http_status)
        try:
            parsed = SendCallflowRequest.from_wire(body)
        except ValidationError:  # the rules passed what the model refuses: the platform's -9999
            failure = _callflow_failure(-9999, STATUS_MESSAGES[-9999], request_id)
            return wire_json(failure, 500)
        session = self.state.start_outbound(sub, parsed)
        answer = verdict.to_response(session_id=session.id, request_id=request_id)
        return wire_json(answer, verdict.http_status)

    async def list_webhooks(self, request: Request, sub: str) -> Response:
        return wire_json(self._webhook_list(sub))

    async def create_webhook(self, request: Request, sub: str) -> Response:
        try:
            data = read_json(await request.body())
        except BadJson:
            return invalid_param("1001", "Invalid JSON request body")
        try:
            config = WebhookCreateRequest.model_validate(
                known_fields(data, WebhookCreateRequest.wire_names())
            )
        except ValidationError as exc:
            where = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "body"
            return invalid_param("1002", f"Invalid param: {where}")
        if not _URL.match(config.url):
            return invalid_param("1002", "Invalid param: url")
        if config.http_auth_header is not None and not _HEADER_VALUE.match(config.http_auth_header):
            return invalid_param("1002", "Invalid param: httpAuthHeader")
        hook = Webhook(config.type, config.url, config.http_auth_header, config.is_enabled)
        self.state.webhooks.set(sub, hook)
        return wire_json(self._webhook_list(sub))

    async def delete_webhook(self, request: Request, sub: str) -> Response:
        name = str(request.path_params["webhook_type"]).upper()
        kind = WebhookType.__members__.get(name)
        removed = self.state.webhooks.delete(sub, kind) if kind is not None else None
        if removed is None:
            body = ApiErrorBody(status_code=404, status_message=f"Webhook not found : {name}")
            return wire_json(body, 404)
        info = removed.info()
        answer = WebhookDeleteResponse(
            sub_account_id=sub,
            type=info.type,
            url=info.url,
            enabled=info.enabled,
            http_auth_header_available=info.http_auth_header_available,
            status_code=0,
            status_message="deleted",
        )
        return wire_json(answer)

    def _webhook_list(self, sub: str) -> WebhookListResponse:
        hooks = [hook.info() for hook in self.state.webhooks.list(sub)]
        return WebhookListResponse(
            sub_account_id=sub, count=len(hooks), webhooks=hooks, status_code=0, status_message="ok"
        )

    async def speech_profiles(self, request: Request, sub: str) -> Response:
        profiles = [_profile(code) for code in sorted(self.state.config.voice_profiles)]
        answer = SpeechProfilesResponse(
            speech_profiles=profiles, status_code=0, status_message="ok"
        )
        return wire_json(answer)

    async def numbers(self, request: Request, sub: str) -> Response:
        now = iso_ms(self.state.clock.now())
        numbers = [
            VirtualNumber(
                msisdn=spec.number,
                country_code=spec.country_code,
                operational_status=spec.operational_status,
                reference_id=spec.reference_id,
                date_created=now,
                date_updated=now,
                number_health=NumberHealth(
                    is_healthy=True, status="Healthy", last_checked_time=now
                ),
            )
            for spec in self.state.numbers.all
        ]
        answer = VirtualNumbersResponse(
            total_numbers=len(numbers),
            last_updated_at=now,
            numbers=numbers,
            status_code=0,
            status_message="ok",
        )
        return wire_json(answer)

    async def number(self, request: Request, sub: str) -> Response:
        text = str(request.path_params["number"])
        spec = self.state.numbers.find(text) if _NUMBER.match(text) else None
        now = iso_ms(self.state.clock.now())
        if spec is None:
            missing = NumberCheckResponse(
                status_code=404, status_message=f"Virtual number not found : {text}", timestamp=now
            )
            return wire_json(missing, 404)
        payload = NumberCheckPayload(
            reference_id=spec.reference_id, msisdn=spec.number, country_code=spec.country_code
        )
        answer = NumberCheckResponse(
            status_code=0, status_message="ok", timestamp=now, payload=payload
        )
        return wire_json(answer)


def _bearer_matches(headers: list[str], key: str) -> bool:
    """One ``Authorization: Bearer <key>`` header. Two headers are ambiguous and refused; the
    token is compared as bytes, so a token that is not ASCII is simply wrong (401)."""
    if len(headers) != 1:
        return False
    scheme, _, token = headers[0].partition(" ")
    given = token.strip().encode("latin-1")  # how Starlette decoded the header's bytes
    return scheme.lower() == "bearer" and hmac.compare_digest(given, key.encode("utf-8"))


def _callflow_failure(
    status: int, message: str, request_id: str | None = None
) -> SendCallflowResponse:
    return SendCallflowResponse(
        status_code=status,
        status_message=message,
        session_status=SessionCreation.NOT_CREATED,
        call_flow_request_id=request_id or str(uuid4()),
    )


def _profile(code: str) -> SpeechProfile:
    locale = "-".join(code.split("-")[:2])
    return SpeechProfile(
        speech_profile_code=code,
        locale_code=locale,
        locale_description=_LOCALES.get(locale, locale),
        gender="M" if any(name in code for name in _MALE_VOICES) else "F",
    )


def voice_api_routes(state: SimulatorState) -> list[BaseRoute]:
    api = VoiceApi(state)
    table: list[tuple[str, str, Endpoint]] = [
        (f"{PREFIX}/callflows", "POST", api.guarded(api.send_callflow, callflow=True)),
        (f"{PREFIX}/webhooks", "GET", api.guarded(api.list_webhooks)),
        (f"{PREFIX}/webhooks", "POST", api.guarded(api.create_webhook)),
        (f"{PREFIX}/webhooks/{{webhook_type}}", "DELETE", api.guarded(api.delete_webhook)),
        (f"{PREFIX}/speech-profiles", "GET", api.guarded(api.speech_profiles)),
        (f"{PREFIX}/numbers", "GET", api.guarded(api.numbers)),
        (f"{PREFIX}/numbers/{{number}}", "GET", api.guarded(api.number)),
        *recording_routes(state, api.guarded),
        *export_routes(state, partial(api.guarded, export=True)),
    ]
    return [*routes_by_path(table), *export_downloads(state)]
