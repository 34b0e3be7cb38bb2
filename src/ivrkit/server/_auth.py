"""Webhook authentication: the platform sends the `httpAuthHeader` configured for the webhook
verbatim as the `Authorization` header of every delivery (spec §10.2, our stated reading)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

MISSING = "Authorization header missing or not the configured webhook secret"
AMBIGUOUS = "several Authorization headers: a delivery must carry exactly one"


class SecretCheck:
    """Compares a delivery's Authorization header with the configured secret in constant time.

    A secret given as ``Bearer xyz`` and a header ``xyz`` (or the reverse) do not match: the
    platform sends exactly what was configured, so exactly that is expected. A request with
    several Authorization headers is refused whatever they hold: which one a proxy or framework
    would pick is not defined, so none is trusted.
    """

    def __init__(self, secret: str | None) -> None:
        self._secret = secret.encode("utf-8") if secret else None

    @property
    def enabled(self) -> bool:
        return self._secret is not None

    def allows(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """Whether the raw headers (the ASGI scope's) carry exactly the secret."""
        if self._secret is None:
            return True
        # The raw bytes, as sent: a header is latin-1 on the wire, the secret was given as text.
        given = _authorization(headers)
        if len(given) != 1:
            return False
        return hmac.compare_digest(given[0], self._secret)

    def problem(self, headers: Iterable[tuple[bytes, bytes]]) -> str:
        """Why :meth:`allows` refused these headers, in one line."""
        return AMBIGUOUS if len(_authorization(headers)) > 1 else MISSING


def _authorization(headers: Iterable[tuple[bytes, bytes]]) -> list[bytes]:
    return [value for key, value in headers if key == b"authorization"]
