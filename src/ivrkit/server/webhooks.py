"""The webhook pipeline: read, authenticate, parse, answer from the tree, record.

Whatever happens inside, the platform gets a safe answer: a CALL_ACTION always gets a callflow
(the tree's entry menu when anything goes wrong), never a 500, and a session summary is committed
(or spooled to disk) before its 200.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

import anyio.to_thread
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from ivrkit import rules, wire
from ivrkit.server.auth import SecretCheck
from ivrkit.server.body import MAX_BODY_BYTES, BodyTooLarge, kept_headers, read_body
from ivrkit.server.spool import Spool
from ivrkit.server.treeset import TreeSet
from ivrkit.store import Delivery, SessionUpdate, Store
from ivrkit.trees import Outcome, Tree, customer_number

log = logging.getLogger("ivrkit.server")
T = TypeVar("T")

EMPTY = b"{}"
JSON = "application/json"


def _json(body: bytes | str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def _problem(status: int, error: str, detail: str, **extra: Any) -> Response:
    return _json(json.dumps({"error": error, "detail": detail, **extra}), status)


def describe_validation_error(exc: ValidationError) -> tuple[str, str]:
    """(field path, message) of the first problem, with camelCase wire names."""
    first = exc.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    return path, f"{path or 'body'}: {first['msg']}"


class WebhookPipeline:
    """Handles deliveries for a set of trees and one store."""

    def __init__(
        self,
        trees: TreeSet,
        store: Store,
        *,
        secret: str | None = None,
        spool: Spool | None = None,
        platform: rules.Platform | None = None,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.trees = trees
        self.store = store
        self.auth = SecretCheck(secret)
        self.spool = spool
        self.max_body = max_body
        self._platform = platform
        self._checked_answer = lru_cache(maxsize=4096)(self._check_answer)

    @property
    def tree(self) -> Tree:
        """The default tree."""
        return self.trees.default

    # -- entry point -------------------------------------------------------------------------

    async def handle(self, request: Request, channel: str, flow: str | None = None) -> Response:
        received_at = datetime.now(UTC)
        headers = kept_headers(request)
        try:
            body = await read_body(request, self.max_body)
        except BodyTooLarge as exc:
            note = f"{exc}; the body was not kept"
            await self._record(
                Delivery(channel, received_at, "", headers, 413, None, "too-large", note)
            )
            return _problem(413, "body-too-large", note, limit=self.max_body)
        text = body.decode("utf-8", errors="replace")
        if not self.auth.allows(request):
            note = "Authorization header missing or not the configured webhook secret"
            await self._record(
                Delivery(channel, received_at, text, headers, 401, None, "unauthorized", note)
            )
            return _problem(401, "unauthorized", note)
        try:
            return await self._dispatch(channel, flow, received_at, body, text, headers)
        except Exception:  # noqa: BLE001 - the outermost boundary: the platform still gets an answer
            log.exception("unexpected failure handling a %s delivery: %s", channel, text[:2000])
            return await self._last_resort(channel, flow, received_at, text, headers)

    # -- dispatch ------------------------------------------------------------------------------

    async def _dispatch(
        self,
        channel: str,
        flow: str | None,
        received_at: datetime,
        body: bytes,
        text: str,
        headers: dict[str, str],
    ) -> Response:
        def delivery(
            status: int,
            answer: bytes | None,
            outcome: str,
            note: str | None = None,
            *,
            event_id: str | None = None,
            event_type: str | None = None,
            session_id: str | None = None,
        ) -> Delivery:
            return Delivery(
                channel,
                received_at,
                text,
                headers,
                status,
                answer.decode() if answer is not None else None,
                outcome,
                note,
                event_id=event_id,
                event_type=event_type,
                session_id=session_id,
            )

        try:
            data = json.loads(body)
        except ValueError as exc:
            note = f"body is not valid JSON: {exc}"
            await self._record(delivery(400, None, "bad-json", note))
            return _problem(400, "malformed-json", note)
        event_type = wire.event_type_of(data)
        if not wire.is_known_event_type(event_type):
            note = (
                f"eventType {event_type!r} is not handled"
                if event_type
                else "body has no eventType"
            )
            await self._record(delivery(200, EMPTY, "ignored", note, event_type=event_type))
            return _json(EMPTY)
        try:
            event = wire.parse_event(data)
        except ValidationError as exc:
            field, note = describe_validation_error(exc)
            await self._record(delivery(400, None, "bad-shape", note, event_type=event_type))
            return _problem(400, "invalid-event", note, field=field)
        if isinstance(event, wire.CallActionEvent):
            stored = delivery(
                200,
                None,
                "answered",
                event_id=event.payload.event_id,
                event_type=event.event_type,
                session_id=event.payload.session_id,
            )
            answer, status = await self._in_thread(self._answer, event, flow, stored)
            return _json(answer, status)
        if isinstance(event, wire.SessionSummaryEvent):
            return await self._summary(event, channel, received_at, text, headers)
        session_id = getattr(event.payload, "session_id", None)
        await self._record(
            delivery(200, EMPTY, "recorded", None, event_type=event_type, session_id=session_id)
        )
        return _json(EMPTY)

    def _answer(
        self, event: wire.CallActionEvent, flow: str | None, stored: Delivery
    ) -> tuple[bytes, int]:
        """Everything a CALL_ACTION needs, in one worker-thread hop: choose the tree, read the
        session's variables, decide, check, record.

        A repeated eventId is not looked up first: ``record_vca`` is idempotent on it and hands
        back the first answer, which is what is replayed (and variables change only when the
        delivery is fresh). That saves every fresh delivery a read transaction (~17% of its CPU).
        """
        payload = event.payload
        tree, note = self._tree_for(event, flow)
        outcome, node = "answered", None
        last_action: str | None = None
        changed: dict[str, str] = {}
        try:
            variables = self.store.variables(payload.session_id) if tree.uses_variables else {}
            decision = tree.answer(event, variables)
            answer = self._checked_answer(decision.callflow.to_json())
            node, changed = decision.node, decision.variables
            note = "; ".join(filter(None, [note, decision.note])) or None
            if decision.outcome is Outcome.STALE:
                outcome = "stale-action-id"
            last_action = decision.callflow.callflow[-1].last_action
        except Exception as exc:  # noqa: BLE001 - the caller must still hear the menu
            log.exception("could not answer event %s; answering the entry menu", payload.event_id)
            answer = self.trees.fallback(tree)
            outcome, note, node = "fallback", f"answering the entry menu after: {exc}", None
        update = wire_update(event, node=node, last_action=last_action, flow=tree.name)
        record = replace(stored, answer=answer.decode(), outcome=outcome, note=note)
        try:
            first, fresh = self.store.record_vca(record, update)
            if fresh and changed:
                self.store.set_variables(payload.session_id, changed)
        except Exception:  # noqa: BLE001 - recording must not cost the caller the call
            log.exception("could not record event %s", payload.event_id)
            return answer, 200
        return (first.answer or answer.decode()).encode(), first.http_status

    def _tree_for(self, event: wire.CallActionEvent, flow: str | None) -> tuple[Tree, str | None]:
        """The tree that answers ``event``: by path, by the session's tree, by number."""
        if flow is not None:
            chosen = self.trees.get(flow)
            if chosen is not None:
                return chosen, None
            return self.trees.default, f"no tree named {flow!r}; answered with the default tree"
        if self.trees.single:
            return self.trees.default, None
        if not event.is_new_inbound_call:
            session = self.store.session(event.payload.session_id)
            chosen = self.trees.get(session.flow) if session is not None else None
            if chosen is not None:
                return chosen, None
        return self.trees.by_number(event) or self.trees.default, None

    async def _summary(
        self,
        event: wire.SessionSummaryEvent,
        channel: str,
        received_at: datetime,
        text: str,
        headers: dict[str, str],
    ) -> Response:
        stored = Delivery(
            channel,
            received_at,
            text,
            headers,
            200,
            EMPTY.decode(),
            "summary",
            None,
            None,
            event.event_type,
            event.payload.session_id,
        )
        try:
            await self._in_thread(self.store.record_summary, stored, event)
        except Exception:  # noqa: BLE001 - never drop a summary: spool it instead
            log.exception("store refused the summary of %s; spooling it", event.payload.session_id)
            if self.spool is None:
                return _problem(503, "store-unavailable", "summary not stored; please retry")
            await self._in_thread(self.spool.append, channel, text, headers)
        return _json(EMPTY)

    async def _last_resort(
        self,
        channel: str,
        flow: str | None,
        received_at: datetime,
        text: str,
        headers: dict[str, str],
    ) -> Response:
        is_summary = '"SESSION_SUMMARY"' in text
        if is_summary and self.spool is not None:
            await self._in_thread(self.spool.append, channel, text, headers)
        tree = self.trees.get(flow) or self.trees.default
        answer = EMPTY if is_summary or channel != "vca" else self.trees.fallback(tree)
        try:
            await self._record(
                Delivery(
                    channel,
                    received_at,
                    text,
                    headers,
                    200,
                    answer.decode(),
                    "fallback",
                    "unexpected internal error; see the log",
                )
            )
        except Exception:  # noqa: BLE001
            log.exception("could not record the fallback answer")
        return _json(answer)

    # -- helpers ---------------------------------------------------------------------------------

    def _check_answer(self, answer_json: str) -> bytes:
        verdict = rules.validate(answer_json, mode=rules.Mode.ANSWER, platform=self._platform)
        if not verdict.ok:
            raise ValueError(f"the tree's answer is refused: {rules.describe(verdict)}")
        return answer_json.encode()

    async def _record(self, delivery: Delivery) -> None:
        try:
            await self._in_thread(self.store.record_delivery, delivery)
        except Exception:  # noqa: BLE001 - losing a debug record must not fail the delivery
            log.exception("could not record a %s delivery", delivery.outcome)

    @staticmethod
    async def _in_thread(func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(func, *args)

    def replay_spool(self) -> int:
        """Move spooled summaries into the store (at start-up)."""
        if self.spool is None:
            return 0

        def deliver(channel: str, body: str, headers: dict[str, str], at: datetime) -> None:
            event = wire.SessionSummaryEvent.from_wire(body)
            self.store.record_summary(
                Delivery(
                    channel,
                    at,
                    body,
                    headers,
                    200,
                    EMPTY.decode(),
                    "summary",
                    "replayed from the spool",
                    None,
                    event.event_type,
                    event.payload.session_id,
                ),
                event,
            )

        return self.spool.replay(deliver)


def wire_update(
    event: wire.CallActionEvent, *, node: str | None, last_action: str | None, flow: str
) -> SessionUpdate:
    payload = event.payload
    return SessionUpdate(
        session_id=payload.session_id,
        at=_event_time(payload.timestamp),
        sub_account_id=payload.sub_account_id,
        direction=payload.call_direction,
        customer=customer_number(event),
        digits=event.digits or None,
        last_action=last_action,
        node=node,
        flow=flow,
    )


def _event_time(text: str | None) -> datetime:
    if text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)
