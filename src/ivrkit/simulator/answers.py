"""Answer bodies the vendor-path handlers share: a wire model as JSON, and the 422 "invalid
param" body of the configuration endpoints (string `statusCode`, `errorId`, `timestamp`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ivrkit.simulator.clock import iso_ms, utc_now
from ivrkit.wire import ApiErrorBody, LogExportError

__all__ = ["PREFIX", "Guard", "Handler", "export_error", "invalid_param", "not_found", "wire_json"]

PREFIX = "/api/v1/subaccounts/{sub_account_id}"

Handler = Callable[[Request, str], Awaitable[Response]]
"""A vendor-path handler: the request and its (checked) subaccount id."""
Guard = Callable[[Handler], Callable[[Request], Awaitable[Response]]]
"""Wraps a handler with the API key and subaccount checks."""


def wire_json(model: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(model.to_wire(), status_code=status)


def invalid_param(code: str, message: str) -> Response:
    body = ApiErrorBody(
        error_id=str(uuid4()), status_code=code, status_message=message, timestamp=iso_ms(utc_now())
    )
    return wire_json(body, 422)


def not_found(message: str) -> Response:
    return wire_json(ApiErrorBody(status_code=404, status_message=message), 404)


def export_error(status: int, code: int, message: str) -> Response:
    """The log-export operations' error body: `code`, `message`, `errorId`, `timestamp`."""
    body = LogExportError(
        code=code, message=message, error_id=str(uuid4()), timestamp=iso_ms(utc_now())
    )
    return wire_json(body, status)
