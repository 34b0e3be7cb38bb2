"""The webhook pipeline: read, authenticate, parse, answer from the tree, commit, answer.

Whatever happens inside, the platform gets a safe answer: a CALL_ACTION always gets a callflow
(the tree's entry menu when anything goes wrong), never a 500. Every delivery is committed — to
the store, or when the store cannot take it in time to the fsync'd spool — before its answer
leaves (:class:`~ivrkit.server.committer.Committer` groups concurrent commits); when nothing can
keep it the answer is 503, so that the platform delivers it again. The same path serves every
tree: one that keeps session variables reads them first (committed by the previous event, whose
answer waited for that commit).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, Literal

import anyio.to_thread
from pydantic import ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ivrkit import rules, wire
from ivrkit.server.answering import Answered, Answerer
from ivrkit.server.auth import SecretCheck
from ivrkit.server.body import MAX_BODY_BYTES, BodyTooLarge, kept_headers, read_body
from ivrkit.server.committer import Committer, Kept, NotKept
from ivrkit.server.metrics import ServerMetrics
from ivrkit.server.observe import DeliveryObserver, current
from ivrkit.server.records import replay_spool, session_update
from ivrkit.server.spool import Spool
from ivrkit.server.treeset import TreeSet
from ivrkit.store import Delivery, Store, VcaWrite
from ivrkit.trees import Tree

log = logging.getLogger("ivrkit.server")

EMPTY = b"{}"
JSON = "application/json"
UNAUTHORIZED_KEPT = 1024
"""Characters kept of a body that failed authentication: enough to debug a misconfigured
secret, too little for strangers to fill the store."""
RECENT_ANSWERS = 65_536
"""Committed answers kept in memory for replaying a repeated eventId without a query."""

Durability = Literal["commit", "answer-first"]
"""``commit`` (the default): every answer waits for its delivery's commit. ``answer-first``
(opt-in): a CALL_ACTION of a tree without session variables is answered as soon as its record
is queued; a crash loses what was queued (at most one batch and the queue, a few ms of
traffic)."""


def _json(body: bytes | str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def _problem(status: int, error: str, detail: str, **extra: Any) -> Response:
    return _json(json.dumps({"error": error, "detail": detail, **extra}), status)


def _not_kept() -> Response:
    # Nowhere to keep it: a 503 makes the platform deliver it again.
    return _problem(503, "store-unavailable", "delivery not stored; please retry")


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
        committer: Committer | None = None,
        durability: Durability = "commit",
        metrics: ServerMetrics | None = None,
    ) -> None:
        self.trees = trees
        self.store = store
        self.auth = SecretCheck(secret)
        self.spool = spool
        self.max_body = max_body
        self.answerer = Answerer(trees, platform)
        self.committer = committer or Committer(store, spool)
        self.durability = durability
        self.observer = DeliveryObserver(metrics or ServerMetrics())
        self._recent: OrderedDict[str, bytes] = OrderedDict()

    @property
    def tree(self) -> Tree:
        """The default tree."""
        return self.trees.default

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery received so far is in the store (tests; with the default
        durability every answered delivery already is)."""
        return self.committer.flush(timeout)

    # -- entry point -------------------------------------------------------------------------

    async def handle(self, request: Request, channel: str, flow: str | None = None) -> Response:
        seen = self.observer.begin(channel)
        status = 500
        try:
            response = await self._receive(request, channel, flow)
            status = response.status_code
            return response
        finally:
            self.observer.end(seen, status)

    async def _receive(self, request: Request, channel: str, flow: str | None) -> Response:
        received_at = datetime.now(UTC)
        refused = not self.auth.allows(request)
        headers = kept_headers(request)
        try:
            body = await read_body(request, self.max_body)
        except BodyTooLarge as exc:
            note = f"{exc}; the body was not kept"
            await self._keep(
                Delivery(
                    channel=channel,
                    received_at=received_at,
                    body="",
                    headers=headers,
                    http_status=413,
                    answer=None,
                    outcome="too-large",
                    note=note,
                )
            )
            return _problem(413, "body-too-large", note, limit=self.max_body)
        except ClientDisconnect:
            current().outcome = "disconnected"
            return Response(status_code=400)  # nobody is there to read an answer
        text = body.decode("utf-8", errors="replace")
        if refused:
            note = self.auth.problem(request)
            await self._keep(
                Delivery(
                    channel=channel,
                    received_at=received_at,
                    body=text[:UNAUTHORIZED_KEPT],
                    headers=headers,
                    http_status=401,
                    answer=None,
                    outcome="unauthorized",
                    note=note,
                )
            )
            return _problem(401, "unauthorized", note)
        stored = Delivery(
            channel=channel,
            received_at=received_at,
            body=text,
            headers=headers,
            http_status=200,
            answer=None,
            outcome="received",
        )
        try:
            return await self._dispatch(stored, body, flow)
        except NotKept:
            current().outcome = "not-kept"
            return _not_kept()
        except Exception:  # noqa: BLE001 - the outermost boundary: the platform still gets an answer
            log.exception("unexpected failure handling a %s delivery: %s", channel, text[:2000])
            return await self._last_resort(stored, flow)

    # -- dispatch ------------------------------------------------------------------------------

    async def _dispatch(self, stored: Delivery, body: bytes, flow: str | None) -> Response:
        try:
            event = wire.parse_event(body)  # the common case: one pass over the bytes
        except ValidationError as exc:
            return await self._refuse(stored, body, exc)
        current().identify(event)
        if isinstance(event, wire.CallActionEvent):
            payload = event.payload
            stored = replace(
                stored,
                outcome="answered",
                event_id=payload.event_id,
                event_type=event.event_type,
                session_id=payload.session_id,
            )
            return await self._call_action(event, flow, stored)
        if isinstance(event, wire.SessionSummaryEvent):
            stored = replace(
                stored,
                answer=EMPTY.decode(),
                outcome="summary",
                event_type=event.event_type,
                session_id=event.payload.session_id,
            )
            current().note(stored)
            await self.committer.commit_summary(stored, event)
            self.observer.summary(event)
            return _json(EMPTY)
        session_id = getattr(event.payload, "session_id", None)
        await self._keep_or_raise(
            replace(
                stored,
                answer=EMPTY.decode(),
                outcome="recorded",
                event_type=event.event_type,
                session_id=session_id,
            )
        )
        return _json(EMPTY)

    async def _refuse(self, stored: Delivery, body: bytes, exc: ValidationError) -> Response:
        """Why a body is not an event ivrkit handles: not JSON (400), JSON but not an object
        (400), an event type it does not handle (200 {}, recorded), or a known event of the
        wrong shape (400 naming the field)."""
        try:
            data = json.loads(body)
        except RecursionError:
            note = "body is not acceptable JSON: it is nested too deeply"
            await self._keep(replace(stored, http_status=400, outcome="bad-json", note=note))
            return _problem(400, "malformed-json", note)
        except ValueError as error:
            note = f"body is not valid JSON: {error}"
            await self._keep(replace(stored, http_status=400, outcome="bad-json", note=note))
            return _problem(400, "malformed-json", note)
        if not isinstance(data, dict):
            note = "body: a webhook event must be a JSON object"
            await self._keep(replace(stored, http_status=400, outcome="bad-shape", note=note))
            return _problem(400, "invalid-event", note, field="")
        event_type = wire.event_type_of(data)
        if not wire.is_known_event_type(event_type):
            note = "body has no eventType"
            if event_type:
                note = f"eventType {event_type!r} is not handled"
            await self._keep_or_raise(
                replace(
                    stored,
                    answer=EMPTY.decode(),
                    outcome="ignored",
                    note=note,
                    event_type=event_type[:64] if event_type else None,
                )
            )
            return _json(EMPTY)
        field, note = describe_validation_error(exc)
        await self._keep(
            replace(stored, http_status=400, outcome="bad-shape", note=note, event_type=event_type)
        )
        return _problem(400, "invalid-event", note, field=field)

    async def _call_action(
        self, event: wire.CallActionEvent, flow: str | None, stored: Delivery
    ) -> Response:
        event_id = event.payload.event_id
        replay = self._recent.get(event_id)
        if replay is not None:
            current().outcome = "repeated"
            return _json(replay)
        known, note = self._tree_without_store(event, flow)
        if known is None:  # chosen by the session's record: read it (rare: several trees)
            tree, note = await anyio.to_thread.run_sync(self._tree_for, event, flow)
        else:
            tree = known
        variables: dict[str, str] | None = None
        if tree.uses_variables:
            variables = await self.committer.read_variables(event.payload.session_id)
        if tree.uses_hooks:  # a hook may block (an HTTP request, user code): not on the loop
            answered = await anyio.to_thread.run_sync(
                self.answerer.decide, event, tree, variables, note
            )
        else:
            answered = self.answerer.decide(event, tree, variables, note)
        latency_ms = round((perf_counter() - current().started) * 1000, 3)
        write = VcaWrite(
            delivery=replace(self._delivery_of(stored, answered), latency_ms=latency_ms),
            update=session_update(event, answered, tree),
            variables=answered.variables,
        )
        answer_first = self.durability == "answer-first" and not tree.uses_variables
        kept = await self.committer.commit_vca(write, wait=not answer_first)
        if kept.fresh:
            current().note(write.delivery)
            self.observer.visit(tree.name, answered.node)
        else:
            current().outcome = "repeated"
        return self._answer(event_id, answered, kept)

    def _answer(self, event_id: str, answered: Answered, kept: Kept) -> Response:
        """Our answer, or the first answer when the event was answered before (here or on
        another replica): a repeated eventId gets the byte-identical answer."""
        if kept.fresh:
            answer, status = answered.answer, 200
        else:
            first = kept.first
            answer = first.answer.encode() if first.answer is not None else answered.answer
            status = first.http_status
        if status == 200:
            self._remember(event_id, answer)
        return _json(answer, status)

    @staticmethod
    def _delivery_of(stored: Delivery, answered: Answered) -> Delivery:
        return replace(
            stored, answer=answered.answer.decode(), outcome=answered.outcome, note=answered.note
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
        try:
            session = self.store.session(event.payload.session_id)
        except Exception:  # noqa: BLE001 - choose by number rather than not answer
            log.exception("could not read the session %s", event.payload.session_id)
            session = None
        chosen = self.trees.get(session.flow) if session is not None else None
        if chosen is not None:
            return chosen, None
        return self.trees.by_number(event) or self.trees.default, None

    async def _last_resort(self, stored: Delivery, flow: str | None) -> Response:
        is_summary = '"SESSION_SUMMARY"' in stored.body
        tree = self.trees.get(flow) or self.trees.default
        answer = EMPTY if is_summary or stored.channel != "vca" else self.trees.fallback(tree)
        fallback = replace(
            stored,
            answer=answer.decode(),
            outcome="fallback",
            note="unexpected internal error; see the log",
        )
        current().note(fallback)
        if is_summary:
            # Kept raw in the spool: the replay parses and stores it once the bug is fixed.
            if self.spool is None or not await anyio.to_thread.run_sync(self._spooled, fallback):
                return _not_kept()
            return _json(answer)
        await self._keep(fallback)
        return _json(answer)

    # -- keeping what is not an answered event ----------------------------------------------------

    async def _keep(self, delivery: Delivery) -> None:
        """Keep a delivery whose answer does not depend on it (bad input, refused auth): when
        nothing can keep it the answer is still given, and the loss is logged."""
        current().note(delivery)
        try:
            await self.committer.commit_vca(VcaWrite(delivery=delivery))
        except NotKept:
            log.error("a %s delivery was not kept: %s", delivery.outcome, delivery.body[:2000])

    async def _keep_or_raise(self, delivery: Delivery) -> None:
        """Keep a platform event answered 200; NotKept (so 503) when nothing can."""
        current().note(delivery)
        await self.committer.commit_vca(VcaWrite(delivery=delivery))

    def _spooled(self, delivery: Delivery) -> bool:
        assert self.spool is not None
        try:
            self.spool.append(delivery.channel, delivery.body, delivery.headers)
        except OSError:
            log.exception("could not spool a %s delivery", delivery.channel)
            return False
        return True

    def replay_spool(self) -> int:
        """Move spooled deliveries into the store (at start-up)."""
        return replay_spool(self.store, self.spool) if self.spool is not None else 0


__all__ = ["Durability", "WebhookPipeline", "describe_validation_error"]
