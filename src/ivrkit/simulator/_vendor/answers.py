"""Answer bodies the vendor-path handlers share: a wire model as JSON, and the 422 "invalid
param" body of the configuration endpoints (string `statusCode`, `errorId`, `timestamp`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from uuid import uuid4

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ivrkit.simulator._timelines import iso_ms, utc_now
from ivrkit.wire import ApiErrorBody, LogExportError

__all__ = [
    "PREFIX",
    "Endpoint",
    "Guard",
    "Handler",
    "export_error",
    "invalid_param",
    "known_fields",
    "not_found",
    "routes_by_path",
    "wire_json",
]

PREFIX = "/api/v1/subaccounts/{sub_account_id}"

Handler = Callable[[Request, str], Awaitable[Response]]
"""A vendor-path handler: the request and its (checked) subaccount id."""
Endpoint = Callable[[Request], Awaitable[Response]]
Guard = Callable[[Handler], Endpoint]
"""Wraps a handler with the API key and subaccount checks."""


def routes_by_path(table: Iterable[tuple[str, str, Endpoint]]) -> list[BaseRoute]:
    """One route per path serving each of its methods, so that a 405 names them all in
    ``Allow`` (separate routes per method would each advertise only their own)."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for path, method, endpoint in table:
        by_path.setdefault(path, {})[method] = endpoint

    def dispatch(handlers: dict[str, Endpoint]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            return await handlers[method](request)

        return endpoint

    return [
        Route(path, dispatch(handlers), methods=list(handlers))
        for path, handlers in by_path.items()
    ]


def known_fields(data: Any, names: Iterable[str]) -> Any:
    """The fields of a configuration body the platform reads; others are ignored, as the
    OpenAPI schemas allow them (none sets additionalProperties false)."""
    if not isinstance(data, dict):
        return data
    wanted = set(names)
    return {key: value for key, value in data.items() if key in wanted}


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
