"""Sending webhooks: POST the event, retry a bounded number of times with back-off, record it.

Retries reuse the same body, so the same `eventId`: a backend's de-duplication is exercised.
Connection errors, timeouts and non-2xx answers are retried; the configured `httpAuthHeader`
goes verbatim in the ``Authorization`` header (spec §10.2, simulator default). Delivery faults
(:mod:`ivrkit.simulator._account.faults`) are applied here.

Deliveries go out through :class:`~ivrkit.simulator._calls.posting.Poster` (one write and one
parse a request over kept-alive connections): they are the simulator's hot loop.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from ivrkit.simulator._account.faults import FaultPlan
from ivrkit.simulator._account.webhooks import Webhook
from ivrkit.simulator._calls.judge import preview
from ivrkit.simulator._calls.posting import Headers, Poster, PostFailed
from ivrkit.simulator._calls.session import Session, StaleCopy
from ivrkit.simulator._calls.transcript import Later, WebhookSent
from ivrkit.simulator._timelines import Timeline
from ivrkit.wire import WireModel

__all__ = ["Deliverer", "DeliveryResult", "preview"]


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status: int | None
    body: bytes
    error: str | None
    attempts: int
    elapsed_ms: float = 0.0


class Deliverer:
    def __init__(
        self,
        poster: Poster,
        *,
        attempts: int,
        timeout: float,
        backoff: float,
        user_agent: str = "ivrkit-simulator",
    ) -> None:
        self._poster = poster
        self._attempts = attempts
        self._timeout = timeout
        self._backoff = backoff
        self._user_agent = user_agent
        self.faults = FaultPlan()
        """The faults still to inject; the control API replaces it."""

    async def deliver(
        self,
        session: Session,
        hook: Webhook,
        event: WireModel,
        *,
        timeline: Timeline,
    ) -> DeliveryResult:
        """POST ``event`` to the hook until a 2xx or the attempts run out."""
        faults = self.faults
        headers = self._headers(hook)
        content = event.model_dump_json(by_alias=True, exclude_unset=True).encode()
        payload = getattr(event, "payload", None)
        event_id = str(getattr(payload, "event_id", None) or getattr(payload, "session_id", ""))
        stale = session.stale.pop(hook.type, [])
        timeout = faults.webhook_timeout or self._timeout
        result = DeliveryResult(False, None, b"", "not sent", 0)
        for attempt in range(1, self._attempts + 1):
            result = await self._attempt(hook, content, headers, attempt, timeout)
            late = result.ok and faults.take("late_answers", hook.type)
            if late:
                error = f"the answer came after the platform's patience ({timeout:g}s)"
                result = DeliveryResult(
                    False, result.status, result.body, error, attempt, result.elapsed_ms
                )
            _record(session, hook, content, event_id, result, "late-answer" if late else None)
            if result.ok:
                break
            if attempt < self._attempts:
                await timeline.sleep(self._backoff * 2 ** (attempt - 1))
        if result.ok and faults.take("duplicates", hook.type):
            copy = await self._attempt(hook, content, headers, result.attempts, timeout)
            _record(session, hook, content, event_id, copy, "duplicate")
        for old in stale:
            await self.send_stale(session, old)
        if faults.take("out_of_order", hook.type):
            copy_of = StaleCopy(
                hook=hook, content=content, event_id=event_id, attempt=result.attempts
            )
            session.stale.setdefault(hook.type, []).append(copy_of)
        return result

    def _headers(self, hook: Webhook) -> Headers:
        headers = [("Content-Type", "application/json"), ("User-Agent", self._user_agent)]
        if hook.auth_header:
            headers.append(("Authorization", hook.auth_header))
        return tuple(headers)

    async def send_stale(self, session: Session, stale: StaleCopy) -> None:
        """Deliver a held-back copy of an earlier event, now out of order."""
        timeout = self.faults.webhook_timeout or self._timeout
        headers = self._headers(stale.hook)
        result = await self._attempt(stale.hook, stale.content, headers, stale.attempt, timeout)
        _record(session, stale.hook, stale.content, stale.event_id, result, "out-of-order")

    async def flush_stale(self, session: Session) -> None:
        """Send every copy still held back (the session is ending)."""
        while session.stale:
            _, copies = session.stale.popitem()
            for copy in copies:
                await self.send_stale(session, copy)

    async def _attempt(
        self, hook: Webhook, content: bytes, headers: Headers, attempt: int, timeout: float
    ) -> DeliveryResult:
        started = time.perf_counter()
        try:
            status, answer = await self._poster.post(hook.url, content, headers, timeout)
        except TimeoutError:
            error = f"no answer within {timeout:g}s"
            return DeliveryResult(False, None, b"", error, attempt, _since(started))
        except (PostFailed, ValueError) as exc:
            error = f"could not connect: {type(exc).__name__}: {exc}"
            return DeliveryResult(False, None, b"", error, attempt, _since(started))
        ok = 200 <= status < 300
        return DeliveryResult(
            ok, status, answer, None if ok else f"HTTP {status}", attempt, _since(started)
        )


def _record(
    session: Session,
    hook: Webhook,
    content: bytes,
    event_id: str,
    result: DeliveryResult,
    injected: Any,
) -> None:
    """One attempt in the transcript; the bodies are decoded only if someone reads it."""
    answer = result.body
    session.record(
        WebhookSent,
        type=hook.type,
        url=hook.url,
        event_id=event_id,
        attempt=result.attempts,
        body=Later(lambda: json.loads(content)),
        status=result.status,
        answer=Later(lambda: preview(answer)),
        error=result.error,
        elapsed_ms=result.elapsed_ms,
        answer_sha256=Later(lambda: hashlib.sha256(answer).hexdigest()) if result.status else None,
        injected=injected,
    )


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
