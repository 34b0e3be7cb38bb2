"""Forms that change something (a campaign paused, a zone chosen) carry a token that only pages
of this dashboard can know: a random value kept in a cookie the browser sends only to this
site (SameSite=Strict, HttpOnly) and written into each form; a POST whose form value does not
equal its cookie, or that comes from another origin, is refused (403)."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["COOKIE", "FIELD", "check", "ensure", "token_of"]

COOKIE = "ivrkit_csrf"
FIELD = "csrf"


def token_of(request: Request) -> str:
    """The token of this browser: its cookie's, else a new one (set by :func:`ensure`)."""
    existing = request.cookies.get(COOKIE, "")
    if 20 <= len(existing) <= 100 and existing.replace("-", "").replace("_", "").isalnum():
        return existing
    found: str | None = request.scope.get("ivrkit.csrf")
    if found is None:
        found = secrets.token_urlsafe(32)
        request.scope["ivrkit.csrf"] = found
    return found


def ensure(request: Request, response: Response) -> None:
    """Set the token's cookie when the browser does not have it yet."""
    token = token_of(request)
    if request.cookies.get(COOKIE) != token:
        root = request.scope.get("root_path", "")
        response.set_cookie(
            COOKIE,
            token,
            path=root or "/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def check(request: Request, given: str) -> str | None:
    """Why a POST is refused (None: it may go on): a token that is missing or not the cookie's,
    or an ``Origin`` that is not this dashboard's."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = urlsplit(origin).netloc.lower()
        if host != request.headers.get("host", "").lower():
            return "this form was sent from another site"
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not given or not hmac.compare_digest(cookie.encode(), given.encode()):
        return "this form is out of date or was not sent from this dashboard: reload the page"
    return None
