"""Sending webhooks: POST the event, retry a bounded number of times with back-off, record it.

Retries reuse the same body, so the same `eventId`: a backend's de-duplication is exercised.
Connection errors, timeouts and non-2xx answers are retried; the configured `httpAuthHeader`
goes verbatim in the ``Authorization`` header (spec §10.2, simulator default).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from ivrkit.simulator.clock import Timeline
from ivrkit.simulator.session import Session
from ivrkit.simulator.transcript import WebhookSent
from ivrkit.simulator.webhooks import Webhook

__all__ = ["Deliverer", "DeliveryResult", "preview"]

_ANSWER_PREVIEW = 4000


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
        client: aiohttp.ClientSession,
        *,
        attempts: int,
        timeout: float,
        backoff: float,
        user_agent: str = "ivrkit-simulator",
    ) -> None:
        self._client = client
        self._attempts = attempts
        self._timeout = timeout
        self._backoff = backoff
        self._user_agent = user_agent

    async def deliver(
        self,
        session: Session,
        hook: Webhook,
        body: dict[str, Any],
        *,
        timeline: Timeline,
    ) -> DeliveryResult:
        """POST ``body`` to the hook until a 2xx or the attempts run out."""
        headers = {"Content-Type": "application/json", "User-Agent": self._user_agent}
        if hook.auth_header:
            headers["Authorization"] = hook.auth_header
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        event_id = str(body.get("payload", {}).get("eventId") or body["payload"]["sessionId"])
        result = DeliveryResult(False, None, b"", "not sent", 0)
        for attempt in range(1, self._attempts + 1):
            result = await self._attempt(hook, content, headers, attempt)
            session.record(
                WebhookSent(
                    type=hook.type,
                    url=hook.url,
                    event_id=event_id,
                    attempt=attempt,
                    body=body,
                    status=result.status,
                    answer=preview(result.body),
                    error=result.error,
                    elapsed_ms=result.elapsed_ms,
                )
            )
            if result.ok:
                return result
            if attempt < self._attempts:
                await timeline.sleep(self._backoff * 2 ** (attempt - 1))
        return result

    async def _attempt(
        self, hook: Webhook, content: bytes, headers: dict[str, str], attempt: int
    ) -> DeliveryResult:
        started = time.perf_counter()
        try:
            async with self._client.post(
                hook.url,
                data=content,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                allow_redirects=False,
            ) as response:
                status = response.status
                answer = await response.read()
        except TimeoutError:
            error = f"no answer within {self._timeout}s"
            return DeliveryResult(False, None, b"", error, attempt, _since(started))
        except (aiohttp.ClientError, ValueError) as exc:
            error = f"could not connect: {type(exc).__name__}: {exc}"
            return DeliveryResult(False, None, b"", error, attempt, _since(started))
        ok = 200 <= status < 300
        return DeliveryResult(
            ok, status, answer, None if ok else f"HTTP {status}", attempt, _since(started)
        )


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def preview(body: bytes) -> Any:
    """The answer as JSON when it is JSON, else as (shortened) text."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return body[:_ANSWER_PREVIEW].decode("utf-8", errors="replace")
