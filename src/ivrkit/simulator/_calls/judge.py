"""The platform's judgement of a CALL_ACTION answer, remembered by its exact bytes.

A backend answers most events with one of a few bodies (a tree's answers are the same bytes for
every caller at a node), and the rules of an answer depend only on its bytes and on what the
account allows, never on the time (`validUntil` belongs to requests). So each distinct
(body, account) pair is parsed, checked and turned into actions once; later calls reuse it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ivrkit.rules import Mode, Platform, Verdict, validate
from ivrkit.wire import AnyAction, Callflow

__all__ = ["AnswerJudge", "JudgedAnswer", "preview"]

_ANSWER_PREVIEW = 4000


def preview(body: bytes) -> Any:
    """The answer as JSON when it is JSON, else as (shortened) text."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return body[:_ANSWER_PREVIEW].decode("utf-8", errors="replace")


@dataclass(frozen=True)
class JudgedAnswer:
    """What the platform makes of one answer body (shared between sessions: read only)."""

    verdict: Verdict
    shown: Any
    """The answer as the transcript shows it (:func:`preview`)."""
    actions: tuple[AnyAction, ...] | None
    """The callflow to run, or None when the model refuses what the rules let through."""
    client_action_id: str | None
    """The answer's `clientActionId`, reported back in the next CALL_ACTION."""
    refusal: str | None = None
    """Why the model refused it (when ``actions`` is None)."""


class AnswerJudge:
    """Judges answers, keeping the last ``size`` distinct judgements."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._known: dict[tuple[bytes, tuple[Any, ...]], JudgedAnswer] = {}

    def judge(self, body: bytes, platform: Platform) -> JudgedAnswer:
        account = (
            platform.voice_profiles,
            platform.allowed_sources,
            platform.vca_webhook,
            platform.strict_timeouts,
        )
        key = (body, account)
        known = self._known.get(key)
        if known is None:
            known = _judge(body, platform)
            if len(self._known) >= self._size:
                del self._known[next(iter(self._known))]
            self._known[key] = known
        return known


def _judge(body: bytes, platform: Platform) -> JudgedAnswer:
    verdict = validate(body, mode=Mode.ANSWER, platform=platform)
    shown = preview(body)
    try:
        callflow = Callflow.from_wire(body)
    except ValidationError as exc:
        return JudgedAnswer(verdict, shown, None, None, str(exc))
    return JudgedAnswer(verdict, shown, tuple(callflow.callflow), callflow.client_action_id)
