"""What validation takes and gives: the :data:`Body` judged, the :class:`Mode` and
:class:`Platform` it is judged under, and the :class:`Verdict` of :class:`Finding` s it returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ivrkit.rules._codes import KNOWN_VOICE_PROFILES
from ivrkit.wire import Callflow, SendCallflowRequest, SendCallflowResponse, SessionCreation

__all__ = ["DEFAULT_PLATFORM", "Body", "Finding", "Mode", "Platform", "Verdict"]

Body = str | bytes | Mapping[str, Any] | Sequence[Any] | SendCallflowRequest | Callflow
"""Anything :func:`validate` judges: JSON text, decoded JSON, a bare callflow array, or a model."""


class Mode(StrEnum):
    REQUEST = "request"
    """A Send Callflow body: must start with makeCall; may carry validUntil/clientRequestId."""
    ANSWER = "answer"
    """A callflow answered to a VCA webhook: no makeCall-first rule; may carry clientActionId."""


@dataclass(frozen=True)
class Finding:
    """One problem: the platform's code, its `statusMessage`, and where it is."""

    code: int
    message: str
    path: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What the platform would answer: the reported code and every finding, in its order."""

    status_code: int
    status_message: str
    http_status: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.status_code == 1

    @property
    def codes(self) -> tuple[int, ...]:
        """The code of every finding, in order."""
        return tuple(finding.code for finding in self.findings)

    def to_response(
        self, *, session_id: str | None = None, request_id: str | None = None
    ) -> SendCallflowResponse:
        """The Send Callflow answer; ids are included only when given (sessionId only if ok)."""
        fields: dict[str, Any] = {
            "statusCode": self.status_code,
            "statusMessage": self.status_message,
            "sessionStatus": SessionCreation.CREATED if self.ok else SessionCreation.NOT_CREATED,
        }
        if self.ok and session_id is not None:
            fields["sessionId"] = session_id
        if request_id is not None:
            fields["callFlowRequestId"] = request_id
        return SendCallflowResponse.model_validate(fields)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Platform:
    """What the platform knows about the account being judged."""

    voice_profiles: frozenset[str] = KNOWN_VOICE_PROFILES
    allowed_sources: frozenset[str] | None = None
    """None: any caller ID; else the allowed numbers, compared as digits only (-1014)."""
    vca_webhook: bool | None = None
    """None: not checked; False: a sayAndCapture has nowhere to report digits (-1004)."""
    strict_timeouts: bool = False
    """The strict reading of -1005/-1006 (see the :mod:`ivrkit.rules` docstring)."""
    now: Callable[[], datetime] = _utc_now
    """The current moment, for `validUntil` (-1015); a naive result is taken as UTC."""


DEFAULT_PLATFORM = Platform()
"""The platform assumed when none is given."""
