"""How the Voice API's answers become typed models or typed exceptions (one mapping, no I/O)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from pydantic import ValidationError

from ivrkit.errors import (
    ApiError,
    AuthenticationError,
    CallflowRejected,
    NotFoundError,
    RateLimited,
    ServerError,
)
from ivrkit.wire import Inbound, SendCallflowResponse

ModelT = TypeVar("ModelT", bound=Inbound)

_SNIPPET_LENGTH = 200
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Call(Generic[ModelT]):
    """One prepared API operation: what to send, what a success parses into, how to talk of it."""

    method: str
    path: str
    model: type[ModelT]
    action: str
    """What the caller was doing, for messages: "send the callflow", "list webhooks"."""
    subject: str
    """What a 404 could not find, for messages: "subaccount 'acme'"."""
    json: dict[str, Any] | None = None
    places_call: bool = False
    """True for Send Callflow: a repeat after the platform saw the request can dial twice."""
    no_content: bool = False
    """The success answer has no body (204), e.g. cancelling a log export."""


class NoContent(Inbound):
    """The model of a success without a body."""


@dataclass(frozen=True)
class ErrorBody:
    """What could be read from a failure body, whichever of the documented shapes it had (A26)."""

    status_code: int | None = None
    status_message: str | None = None
    request_id: str | None = None
    snippet: str = ""

    def describe(self) -> str:
        parts = [str(self.status_code)] if self.status_code is not None else []
        if self.status_message:
            parts.append(self.status_message)
        text = " ".join(parts)
        if not text:
            text = f"body {self.snippet!r}" if self.snippet else "empty body"
        if self.request_id:
            text += f" (request {self.request_id})"
        return text


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    return None


def _as_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if len(text) > _SNIPPET_LENGTH:
        text = text[: _SNIPPET_LENGTH - 1] + "…"
    return text


def _json(response: httpx.Response) -> object:
    """The decoded body, or ``None`` when it is not JSON (an HTML error page, bad bytes)."""
    try:
        return response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        return None


def read_error_body(response: httpx.Response) -> ErrorBody:
    """Read any failure body: the callflow shape (`statusCode` int, `callFlowRequestId`), the
    configuration shape (`statusCode` "1001", `errorId`), the export shape (`code`, `message`),
    or something that is not JSON at all."""
    data = _json(response)
    if not isinstance(data, dict):
        return ErrorBody(snippet=_snippet(response))
    code = data.get("statusCode", data.get("code"))
    message = data.get("statusMessage", data.get("message"))
    request_id = _as_text(data.get("callFlowRequestId")) or _as_text(data.get("errorId"))
    return ErrorBody(
        status_code=_as_int(code),
        status_message=_as_text(message) or (str(code) if _as_int(code) is None and code else None),
        request_id=request_id,
        snippet=_snippet(response),
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header; ``None`` when absent or not a number."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _where(response: httpx.Response) -> str:
    request = response.request
    return f"{request.method} {request.url}"


def error_for(call: Call[Any], response: httpx.Response, *, attempts: int) -> ApiError:
    """The typed exception for a failure answer (given after retries, if any, ran out)."""
    status = response.status_code
    body = read_error_body(response)
    detail = body.describe()
    fields: dict[str, Any] = {
        "http_status": status,
        "status_code": body.status_code,
        "status_message": body.status_message,
        "request_id": body.request_id,
    }
    tried = f"gave up after {attempts} attempts" if attempts > 1 else "not retried"
    if status == 401:
        return AuthenticationError(
            f"The Voice API refused the API key (HTTP 401: {detail}). "
            "Check IVRKIT_API_KEY; keys are made at https://connect.8x8.com.",
            **fields,
        )
    if status == 403:
        return ApiError(
            f"The API key may not {call.action} (HTTP 403: {detail}). "
            "Check that the key belongs to this subaccount (IVRKIT_SUBACCOUNT).",
            **fields,
        )
    if status == 404:
        return NotFoundError(
            f"The Voice API could not find {call.subject} "
            f"(HTTP 404: {detail}; {_where(response)}). "
            "Check IVRKIT_SUBACCOUNT and IVRKIT_API_BASE.",
            **fields,
        )
    refused = 400 <= status < 500 and status != 429
    if call.places_call and refused and body.status_code is not None and body.status_code < 0:
        return CallflowRejected(f"The Voice API refused the callflow: {detail}", **fields)
    if status == 429:
        return RateLimited(
            f"The Voice API is rate-limiting this account (HTTP 429: {detail}); {tried}. "
            "Send fewer requests at once or raise max_retries.",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            **fields,
        )
    if status >= 500:
        hint = (
            " The call may or may not have been placed; check the session summary before sending"
            " it again."
            if call.places_call
            else " Try again later."
        )
        return ServerError(
            f"The Voice API failed to {call.action} (HTTP {status}: {detail}); {tried}.{hint}",
            **fields,
        )
    return ApiError(f"The Voice API refused to {call.action} (HTTP {status}: {detail}).", **fields)


def _shape_error(call: Call[Any], response: httpx.Response, problem: str) -> ApiError:
    url = response.request.url
    return ApiError(
        f"The Voice API answered the request to {call.action} with HTTP {response.status_code} "
        f"but {problem}. Is {url.scheme}://{url.netloc.decode()} the Voice API?",
        http_status=response.status_code,
    )


def parse_success(call: Call[ModelT], response: httpx.Response) -> ModelT:
    """The typed model of a 2xx answer; an unreadable body is an :class:`ApiError`."""
    if call.no_content and not response.content:
        return call.model.model_validate({})
    data = _json(response)
    if not isinstance(data, dict):
        what = "a body that is not JSON" if data is None else "JSON that is not an object"
        raise _shape_error(call, response, f"sent {what}: {_snippet(response)!r}")
    try:
        model = call.model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(body)"
        problem = f"the body is not a {call.model.__name__} ({where}: {first['msg']})"
        raise _shape_error(call, response, problem) from exc
    if isinstance(model, SendCallflowResponse) and not model.created:
        raise _not_created(model, response)
    return model


def _not_created(model: SendCallflowResponse, response: httpx.Response) -> ApiError:
    detail = ErrorBody(
        status_code=model.status_code,
        status_message=model.status_message,
        request_id=model.call_flow_request_id,
    ).describe()
    fields: dict[str, Any] = {
        "http_status": response.status_code,
        "status_code": model.status_code,
        "status_message": model.status_message,
        "request_id": model.call_flow_request_id,
    }
    if model.status_code < 0:
        return CallflowRejected(f"The Voice API refused the callflow: {detail}", **fields)
    return ApiError(
        f"The Voice API answered HTTP {response.status_code} but created no session: {detail}",
        **fields,
    )
