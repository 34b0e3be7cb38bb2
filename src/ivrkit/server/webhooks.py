"""The webhook pipeline: read, authenticate, parse, answer from the tree, record.

Whatever happens inside, the platform gets a safe answer: a CALL_ACTION always gets a callflow
(the tree's entry menu when anything goes wrong), never a 500, and a session summary is committed
(or spooled to disk) before its 200.

A CALL_ACTION for a tree that keeps no session variables is answered in the event loop and
recorded behind the answer by the :class:`EventWriter` (group commit); recent answers are kept in
memory so a repeated eventId is replayed byte for byte. Trees with variables (or a choice of
tree that needs the store) take one worker-thread hop and are recorded before answering.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from ivrkit import rules, wire
from ivrkit.server.answering import Answered, Answerer
from ivrkit.server.auth import SecretCheck
from ivrkit.server.body import MAX_BODY_BYTES, BodyTooLarge, kept_headers, read_body
from ivrkit.server.records import replay_spool, session_update
from ivrkit.server.spool import Spool
from ivrkit.server.treeset import TreeSet
from ivrkit.server.writer import EventWriter, Writer
from ivrkit.store import Delivery, Store
from ivrkit.trees import Tree

log = logging.getLogger("ivrkit.server")

EMPTY = b"{}"
JSON = "application/json"
UNAUTHORIZED_KEPT = 1024
"""Characters kept of a body that failed authentication: enough to debug a misconfigured
secret, too little for strangers to fill the store."""
RECENT_ANSWERS = 65_536
"""Answers kept in memory for replaying a repeated eventId without touching the store."""


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
        writer: Writer | None = None,
    ) -> None:
        self.trees = trees
        self.store = store
        self.auth = SecretCheck(secret)
        self.spool = spool
        self.max_body = max_body
        self.answerer = Answerer(trees, platform)
        self.writer: Writer = writer or EventWriter(store, spool)
        self._recent: OrderedDict[str, bytes] = OrderedDict()

    @property
    def tree(self) -> Tree:
        """The default tree."""
        return self.trees.default

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery received so far is in the store."""
        return self.writer.flush(timeout)

    # -- entry point -------------------------------------------------------------------------

    async def handle(self, request: Request, channel: str, flow: str | None = None) -> Response:
        received_at = datetime.now(UTC)
        headers = kept_headers(request)
        try:
            body = await read_body(request, self.max_body)
        except BodyTooLarge as exc:
            note = f"{exc}; the body was not kept"
            self._record(Delivery(channel, received_at, "", headers, 413, None, "too-large", note))
            return _problem(413, "body-too-large", note, limit=self.max_body)
        text = body.decode("utf-8", errors="replace")
        if not self.auth.allows(request):
            note = "Authorization header missing or not the configured webhook secret"
            self._record(
                Delivery(
                    channel,
                    received_at,
                    text[:UNAUTHORIZED_KEPT],
                    headers,
                    401,
                    None,
                    "unauthorized",
                    note,
                )
            )
            return _problem(401, "unauthorized", note)
        try:
            return await self._dispatch(channel, flow, received_at, body, text, headers)
        except Exception:  # noqa: BLE001 - the outermost boundary: the platform still gets an answer
            log.exception("unexpected failure handling a %s delivery: %s", channel, text[:2000])
            return self._last_resort(channel, flow, received_at, text, headers)

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
                event_type=event_type,
                session_id=session_id,
            )

        try:
            event = wire.parse_event(body)  # the common case: one pass over the bytes
        except ValidationError as exc:
            return self._refuse(body, exc, delivery)
        if isinstance(event, wire.CallActionEvent):
            payload = event.payload
            stored = Delivery(
                channel,
                received_at,
                text,
                headers,
                200,
                None,
                "answered",
                None,
                payload.event_id,
                event.event_type,
                payload.session_id,
            )
            return await self._call_action(event, flow, stored)
        if isinstance(event, wire.SessionSummaryEvent):
            stored = delivery(
                200,
                EMPTY,
                "summary",
                event_type=event.event_type,
                session_id=event.payload.session_id,
            )
            return await self._summary(event, stored)
        session_id = getattr(event.payload, "session_id", None)
        self._record(
            delivery(
                200, EMPTY, "recorded", None, event_type=event.event_type, session_id=session_id
            )
        )
        return _json(EMPTY)

    def _refuse(
        self, body: bytes, exc: ValidationError, delivery: Callable[..., Delivery]
    ) -> Response:
        """Why a body is not an event ivrkit handles: not JSON (400), JSON but not an object
        (400), an event type it does not handle (200 {}, recorded), or a known event of the
        wrong shape (400 naming the field)."""
        try:
            data = json.loads(body)
        except ValueError as error:
            note = f"body is not valid JSON: {error}"
            self._record(delivery(400, None, "bad-json", note))
            return _problem(400, "malformed-json", note)
        if not isinstance(data, dict):
            note = "body: a webhook event must be a JSON object"
            self._record(delivery(400, None, "bad-shape", note))
            return _problem(400, "invalid-event", note, field="")
        event_type = wire.event_type_of(data)
        if not wire.is_known_event_type(event_type):
            note = "body has no eventType"
            if event_type:
                note = f"eventType {event_type!r} is not handled"
            self._record(delivery(200, EMPTY, "ignored", note, event_type=event_type))
            return _json(EMPTY)
        field, note = describe_validation_error(exc)
        self._record(delivery(400, None, "bad-shape", note, event_type=event_type))
        return _problem(400, "invalid-event", note, field=field)

    async def _call_action(
        self, event: wire.CallActionEvent, flow: str | None, stored: Delivery
    ) -> Response:
        event_id = event.payload.event_id
        replay = self._recent.get(event_id)
        if replay is not None:
            return _json(replay)
        tree, note = self._tree_without_store(event, flow)
        if tree is None or tree.uses_variables:
            answer, status = await anyio.to_thread.run_sync(
                self._answer_in_thread, event, flow, stored
            )
            return _json(answer, status)
        answered = self.answerer.decide(event, tree, None, note)
        self._remember(event_id, answered.answer)
        try:
            self.writer.record_vca(
                self._delivery_of(stored, answered), session_update(event, answered, tree), {}
            )
        except Exception:  # noqa: BLE001 - the answer is given; a lost record is logged
            log.exception("could not hand event %s to the writer", event_id)
        return _json(answered.answer)

    def _answer_in_thread(
        self, event: wire.CallActionEvent, flow: str | None, stored: Delivery
    ) -> tuple[bytes, int]:
        """Choose the tree (maybe by the session's record), read the session's variables,
        decide, and record before answering; the store replays a repeated eventId's first
        answer."""
        self.writer.flush()  # the session's tree and variables, as everything before left them
        tree, note = self._tree_for(event, flow)
        session_id = event.payload.session_id
        try:
            variables = self.store.variables(session_id) if tree.uses_variables else {}
        except Exception:  # noqa: BLE001 - answer without them rather than not at all
            log.exception("could not read the variables of %s", session_id)
            variables = {}
        answered = self.answerer.decide(event, tree, variables, note)
        delivery = self._delivery_of(stored, answered)
        update = session_update(event, answered, tree)
        try:
            first, fresh = self.store.record_vca(delivery, update)
            if fresh and answered.variables:
                self.store.set_variables(session_id, answered.variables)
        except Exception:  # noqa: BLE001 - recording must not cost the caller the call
            # The writer retries it, else spools it: a record is never only logged.
            log.exception("could not record event %s; queued it", event.payload.event_id)
            self.writer.record_vca(delivery, update, answered.variables)
            return answered.answer, 200
        return (first.answer or answered.answer.decode()).encode(), first.http_status

    @staticmethod
    def _delivery_of(stored: Delivery, answered: Answered) -> Delivery:
        return Delivery(
            stored.channel,
            stored.received_at,
            stored.body,
            stored.headers,
            stored.http_status,
            answered.answer.decode(),
            answered.outcome,
            answered.note,
            stored.event_id,
            stored.event_type,
            stored.session_id,
        )

    def _remember(self, event_id: str, answer: bytes) -> None:
        self._recent[event_id] = answer
        if len(self._recent) > RECENT_ANSWERS:
            self._recent.popitem(last=False)

    def _tree_without_store(
        self, event: wire.CallActionEvent, flow: str | None
    ) -> tuple[Tree | None, str | None]:
        """The tree when it can be chosen without reading the store (else None)."""
        if flow is not None:
            chosen = self.trees.get(flow)
            if chosen is not None:
                return chosen, None
            return self.trees.default, f"no tree named {flow!r}; answered with the default tree"
        if self.trees.single:
            return self.trees.default, None
        if event.is_new_inbound_call:
            return self.trees.by_number(event) or self.trees.default, None
        return None, None

    def _tree_for(self, event: wire.CallActionEvent, flow: str | None) -> tuple[Tree, str | None]:
        """The tree that answers ``event``: by path, by the session's tree, by number."""
        tree, note = self._tree_without_store(event, flow)
        if tree is not None:
            return tree, note
        session = self.store.session(event.payload.session_id)
        chosen = self.trees.get(session.flow) if session is not None else None
        if chosen is not None:
            return chosen, None
        return self.trees.by_number(event) or self.trees.default, None

    async def _summary(self, event: wire.SessionSummaryEvent, stored: Delivery) -> Response:
        try:
            await self.writer.record_summary(stored, event)
        except Exception:  # noqa: BLE001 - never drop a summary: spool it instead
            log.exception("store refused the summary of %s; spooling it", event.payload.session_id)
            if self.spool is None:
                return _problem(503, "store-unavailable", "summary not stored; please retry")
            try:
                await anyio.to_thread.run_sync(
                    self.spool.append, stored.channel, stored.body, stored.headers
                )
            except OSError:
                # Nowhere to keep it: a 503 makes the platform deliver it again.
                log.exception("could not spool the summary of %s", event.payload.session_id)
                return _problem(503, "store-unavailable", "summary not stored; please retry")
        return _json(EMPTY)

    def _last_resort(
        self,
        channel: str,
        flow: str | None,
        received_at: datetime,
        text: str,
        headers: dict[str, str],
    ) -> Response:
        is_summary = '"SESSION_SUMMARY"' in text
        if is_summary and not self._spooled(channel, text, headers):
            # Nowhere to keep it: a 503 makes the platform deliver it again.
            return _problem(503, "store-unavailable", "summary not stored; please retry")
        tree = self.trees.get(flow) or self.trees.default
        answer = EMPTY if is_summary or channel != "vca" else self.trees.fallback(tree)
        self._record(
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
        return _json(answer)

    # -- helpers ---------------------------------------------------------------------------------

    def _spooled(self, channel: str, text: str, headers: dict[str, str]) -> bool:
        if self.spool is None:
            return False
        try:
            self.spool.append(channel, text, headers)
        except OSError:
            log.exception("could not spool a %s delivery", channel)
            return False
        return True

    def _record(self, delivery: Delivery) -> None:
        """Keep a delivery that is not an answered event (bad input, unknown events, ...)."""
        try:
            self.writer.record_vca(delivery, None, {})
        except Exception:  # noqa: BLE001 - losing a debug record must not fail the delivery
            log.exception("could not record a %s delivery", delivery.outcome)

    def replay_spool(self) -> int:
        """Move spooled deliveries into the store (at start-up)."""
        return replay_spool(self.store, self.spool) if self.spool is not None else 0


__all__ = ["WebhookPipeline", "describe_validation_error"]
