"""Login for the dashboard: a token typed once, then a signed cookie.

The cookie holds its expiry and an HMAC-SHA256 of it under a key derived from the token, so it
cannot be forged or stretched without the token, and changing the token logs everyone out.
Tokens and signatures are compared in constant time; failed logins are limited per client (in
this process here; across the workers of one server by :mod:`ivrkit.dashboard._shared_limit`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections import deque
from datetime import datetime, timedelta

__all__ = ["COOKIE_NAME", "LoginLimiter", "check_token", "sign_cookie", "verify_cookie"]

COOKIE_NAME = "ivrkit_dashboard"
_KEY_CONTEXT = b"ivrkit dashboard cookie v1"


def _key(token: str) -> bytes:
    return hmac.new(token.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def _signature(token: str, expires: int) -> str:
    mac = hmac.new(_key(token), str(expires).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def check_token(given: str, token: str) -> bool:
    """Whether ``given`` is the token (compared in constant time)."""
    return hmac.compare_digest(given.encode(), token.encode())


def sign_cookie(token: str, expires: datetime) -> str:
    """The cookie value of a login that lasts until ``expires``."""
    stamp = int(expires.timestamp())
    return f"{stamp}.{_signature(token, stamp)}"


def verify_cookie(value: str | None, token: str, now: datetime) -> bool:
    """Whether ``value`` is a cookie :func:`sign_cookie` made with this token, not yet expired."""
    if not value or "." not in value:
        return False
    stamp_text, signature = value.split(".", 1)
    # isdigit() is true of '²' and other digits int() does not read: ASCII digits only.
    if not (stamp_text.isascii() and stamp_text.isdigit()) or len(stamp_text) > 12:
        return False
    stamp = int(stamp_text)
    if not hmac.compare_digest(signature.encode(), _signature(token, stamp).encode()):
        return False
    return now.timestamp() < stamp


class LoginLimiter:
    """At most ``attempts`` failed logins per client in any ``window``; others are refused.
    Counted in this process's memory (thread-safe)."""

    def __init__(self, attempts: int, window: timedelta = timedelta(minutes=1)) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def admit(self, client: str, now: datetime) -> bool:
        """Whether ``client`` may try a token now; if so the try counts as a failure until
        :meth:`succeeded` says otherwise (checked and counted at once: concurrent tries cannot
        all pass)."""
        with self._lock:
            if not self._allowed(client, now):
                return False
            self._failed(client, now)
            return True

    def allowed(self, client: str, now: datetime) -> bool:
        with self._lock:
            return self._allowed(client, now)

    def failed(self, client: str, now: datetime) -> None:
        with self._lock:
            self._failed(client, now)

    def succeeded(self, client: str, now: datetime) -> None:
        """Forget ``client``'s failures: its token was right."""
        with self._lock:
            self._failures.pop(client, None)

    def _allowed(self, client: str, now: datetime) -> bool:
        failures = self._failures.get(client)
        if failures is None:
            return True
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return True
        return len(failures) < self.attempts

    def _failed(self, client: str, now: datetime) -> None:
        self._failures.setdefault(client, deque()).append(now)
        if len(self._failures) > 10_000:
            # A flood from many addresses must not grow memory without end: forget the oldest.
            oldest = min(self._failures, key=lambda c: self._failures[c][-1])
            del self._failures[oldest]
