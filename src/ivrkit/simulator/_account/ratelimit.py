"""The platform's request rate limit on Send Callflow: a token bucket, and its 429 answer.

The vendor documents no rate limit, so its shape is chosen here (and in the README): past
``rateLimit`` requests per second (bursts of up to ``rateLimitBurst``), Send Callflow answers
HTTP 429 with a ``Retry-After`` header (whole seconds, as RFC 9110 writes it; at least 1) and
the body every other refused Send Callflow gets — ``statusCode`` 429, ``statusMessage``,
``sessionStatus`` ``NOT_CREATED``, ``callFlowRequestId``. No session is created and no
summary follows. Every request that passes the API key and subaccount checks spends a token,
whether or not its callflow is valid, and one bucket serves the whole account.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["RATE_LIMITED_MESSAGE", "TokenBucket", "retry_after_header"]

RATE_LIMITED_MESSAGE = "Too many requests: the account's rate limit is exceeded"


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; :meth:`take` spends one."""

    def __init__(self, rate: float, burst: int, now: Callable[[], float]) -> None:
        if not rate > 0 or burst < 1:
            raise ValueError("a token bucket needs a rate above 0 and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._now = now
        self._tokens = float(burst)
        self._stamp = now()

    def take(self) -> float:
        """0 when a token was spent; else the seconds until one will be there (none spent)."""
        now = self._now()
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


def retry_after_header(wait: float) -> str:
    """``Retry-After`` for a wait in seconds: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(wait)))
