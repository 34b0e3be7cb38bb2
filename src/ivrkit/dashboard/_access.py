"""Who may see the dashboard, as ASGI middleware in front of its routes: the pages are off when
neither a token nor a loopback bind protects them; without a token, a request must name this
machine in its ``Host`` (else 421: DNS rebinding); with a token every page but the login needs
its cookie (pages redirect to the login, the API and the live stream answer 401). Every answer
carries the security headers (a Content-Security-Policy without inline scripts or styles)."""

from __future__ import annotations

import json

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ivrkit.dashboard._auth import COOKIE_NAME, verify_cookie
from ivrkit.dashboard._settings import DashboardSettings

__all__ = ["CONTENT_SECURITY_POLICY", "Guard", "route_path"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
OPEN_PATHS = ("/login", "/static/")
MACHINE_PATHS = ("/api/", "/events")


def route_path(scope: Scope) -> str:
    """The path inside the dashboard (``/sessions``), wherever it is mounted."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class Guard:
    def __init__(self, app: ASGIApp, settings: DashboardSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        refused = self._refusal(scope)
        if refused is not None:
            await refused(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)

    def _refusal(self, scope: Scope) -> Response | None:
        settings = self.settings
        if not settings.served:
            return PlainTextResponse(settings.refusal + "\n", status_code=404)
        host = HTTPConnection(scope).headers.get("host", "")
        if not settings.host_allowed(host):
            return PlainTextResponse(
                f"this dashboard has no token, so it answers only on localhost and loopback "
                f"addresses, not {host[:100]!r}: open it at http://127.0.0.1, or set a token\n",
                status_code=421,
            )
        path = route_path(scope)
        token = settings.token
        if token is None or path.startswith(OPEN_PATHS):
            return None
        cookie = HTTPConnection(scope).cookies.get(COOKIE_NAME)
        if verify_cookie(cookie, token, settings.clock()):
            return None
        if path.startswith(MACHINE_PATHS):
            body = json.dumps({"error": "log in first: POST the token to /dashboard/login"})
            return Response(body, status_code=401, media_type="application/json")
        root = scope.get("root_path", "")
        return RedirectResponse(f"{root}/login", status_code=303)
