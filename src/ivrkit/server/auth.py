"""Webhook authentication: the platform sends the `httpAuthHeader` configured for the webhook
verbatim as the `Authorization` header of every delivery (spec §10.2, our stated reading)."""

from __future__ import annotations

import hmac

from starlette.requests import Request


class SecretCheck:
    """Compares a delivery's Authorization header with the configured secret in constant time.

    A secret given as ``Bearer xyz`` and a header ``xyz`` (or the reverse) do not match: the
    platform sends exactly what was configured, so exactly that is expected.
    """

    def __init__(self, secret: str | None) -> None:
        self._secret = secret.encode("utf-8") if secret else None

    @property
    def enabled(self) -> bool:
        return self._secret is not None

    def allows(self, request: Request) -> bool:
        if self._secret is None:
            return True
        # The raw bytes, as sent: a header is latin-1 on the wire, the secret was given as text.
        given = next((v for k, v in request.headers.raw if k == b"authorization"), b"")
        return hmac.compare_digest(given, self._secret)
