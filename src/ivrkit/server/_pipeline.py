"""The webhook pipeline: read, authenticate, parse, answer from the tree, commit, answer.

Whatever happens inside, the platform gets a safe answer: a CALL_ACTION always gets a callflow
(the tree's entry menu when anything goes wrong), never a 500. Every delivery is committed — to
the store, or when the store cannot take it in time to the fsync'd spool — before its answer
leaves (:class:`~ivrkit.server._committer.Committer` groups concurrent commits); when nothing can
keep it the answer is 503, so that the platform delivers it again. The same path serves every
tree: one that keeps session variables reads them first (committed by the previous event, whose
answer waited for that commit).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, Literal

import anyio.to_thread
from pydantic import ValidationError
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from ivrkit import rules, wire
from ivrkit.server._answering import Answered, Answerer
from ivrkit.server._auth import SecretCheck
from ivrkit.server._body import MAX_BODY_BYTES, BodyTooLarge, kept_headers, read_body
from ivrkit.server._committer import Committer, Kept, NotKept
from ivrkit.server._decode import CallActionFields, call_action_fields
from ivrkit.server._delivery_telemetry import DeliveryObserver, current
from ivrkit.server._metrics import ServerMetrics
from ivrkit.server._spool import Spool
from ivrkit.server._store_writes import replay_spool, session_update
from ivrkit.server._switches import SwitchReader
from ivrkit.server._treeset import TreeSet
from ivrkit.store import Delivery, Store, VcaWrite
from ivrkit.trees import Tree
from ivrkit.trees._position import version_tag_of

log = logging.getLogger("ivrkit.server")

EMPTY = b"{}"
EMPTY_TEXT = "{}"
CALL_ACTION = "CALL_ACTION"
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


def _problem(status: int, error: str, detail: str, **extra: Any) -> tuple[int, bytes]:
    return status, json.dumps({"error": error, "detail": detail, **extra}).encode()


def _not_kept() -> tuple[int, bytes]:
    # Nowhere to keep it: a 503 makes the platform deliver it again.
    return _problem(503, "store-unavailable", "delivery not stored; please retry")


def _content_length(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for key, value in headers:
        if key == b"content-length":
            return value
    return None


def describe_validation_error(exc: ValidationError) -> tuple[str, str]:
    """(field path, message) of the first problem, with camelCase wire names."""
    first = exc.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    return path, f"{path or 'body'}: {first['msg']}"


def _delivery(
    channel: str,
    at: datetime,
    body: str,
    headers: dict[str, str],
    http_status: int,
    **fields: Any,
) -> Delivery:
    return Delivery(
        channel=channel,
        received_at=at,
        body=body,
        headers=headers,
        http_status=http_status,
        answer=fields.pop("answer", None),
        **fields,
    )


class Received:
    """A delivery as it came in: its channel, when, the body, the headers kept, the path's
    tree."""

    __slots__ = ("at", "body", "channel", "flow", "headers", "text")

    def __init__(
        self,
        channel: str,
        at: datetime,
        body: bytes,
        headers: dict[str, str],
        flow: str | None,
    ) -> None:
        self.channel = channel
        self.at = at
        self.body = body
        self.text = body.decode("utf-8", errors="replace")
        """The body as stored."""
        self.headers = headers
        self.flow = flow

    def delivery(self, *, http_status: int = 200, outcome: str, **fields: Any) -> Delivery:
        """The delivery to keep, answered ``http_status`` with ``outcome``."""
        return _delivery(
            self.channel, self.at, self.text, self.headers, http_status, outcome=outcome, **fields
        )


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
        switches: SwitchReader | None = None,
    ) -> None:
        self.trees = trees
        self.switches = switches or SwitchReader.of_store(store)
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

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, channel: str, flow: str | None = None
    ) -> None:
        """Answer one delivery (an ASGI request for ``/webhooks/{channel}[/{flow}]``)."""
        seen = self.observer.begin(channel)
        status = 500
        try:
            status, answer = await self.deliver(scope["headers"], receive, channel, flow)
        finally:
            self.observer.end(seen, status)
        headers = [(b"content-length", b"%d" % len(answer))]
        if answer:
            headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    async def deliver(
        self, headers: list[tuple[bytes, bytes]], receive: Receive, channel: str, flow: str | None
    ) -> tuple[int, bytes]:
        """Read, authenticate, parse, decide, commit: the HTTP status and the answer."""
        received_at = datetime.now(UTC)
        kept = kept_headers(headers)
        try:
            body = await read_body(receive, _content_length(headers), self.max_body)
        except BodyTooLarge as exc:
            note = f"{exc}; the body was not kept"
            await self._keep(
                _delivery(channel, received_at, "", kept, 413, outcome="too-large", note=note)
            )
            return _problem(413, "body-too-large", note, limit=self.max_body)
        except ClientDisconnect:
            current().outcome = "disconnected"
            return 400, b""  # nobody is there to read an answer
        if not self.auth.allows(headers):
            note = self.auth.problem(headers)
            text = body.decode("utf-8", errors="replace")[:UNAUTHORIZED_KEPT]
            await self._keep(
                _delivery(channel, received_at, text, kept, 401, outcome="unauthorized", note=note)
            )
            return _problem(401, "unauthorized", note)
        received = Received(channel, received_at, body, kept, flow)
        try:
            fields = call_action_fields(body) if channel == "vca" else None
            if fields is not None:  # the common case: the fields the answer needs, in one pass
                return await self._call_action(received, fields, None)
            return await self._dispatch(received)
        except NotKept:
            current().outcome = "not-kept"
            return _not_kept()
        except Exception:  # noqa: BLE001 - the outermost boundary: the platform still gets an answer
            log.exception(
                "unexpected failure handling a %s delivery: %s", channel, received.text[:2000]
            )
            return await self._last_resort(received)

    # -- dispatch ------------------------------------------------------------------------------

    async def _dispatch(self, received: Received) -> tuple[int, bytes]:
        """Any body but a CALL_ACTION the fast decoder took: parsed by the full model."""
        try:
            event = wire.parse_event(received.body)
        except ValidationError as exc:
            return await self._refuse(received, exc)
        current().identify(event)
        if isinstance(event, wire.CallActionEvent):
            return await self._call_action(received, CallActionFields.of_event(event), event)
        if isinstance(event, wire.SessionSummaryEvent):
            stored = received.delivery(
                answer=EMPTY_TEXT,
                outcome="summary",
                event_type=event.event_type,
                session_id=event.payload.session_id,
            )
            current().note(stored)
            await self.committer.commit_summary(stored, event)
            self.observer.summary(event)
            return 200, EMPTY
        await self._keep_or_raise(
            received.delivery(
                answer=EMPTY_TEXT,
                outcome="recorded",
                event_type=event.event_type,
                session_id=getattr(event.payload, "session_id", None),
            )
        )
        return 200, EMPTY

    async def _refuse(self, received: Received, exc: ValidationError) -> tuple[int, bytes]:
        """Why a body is not an event ivrkit handles: not JSON (400), JSON but not an object
        (400), an event type it does not handle (200 {}, recorded), or a known event of the
        wrong shape (400 naming the field)."""
        try:
            data = json.loads(received.body)
        except RecursionError:
            note = "body is not acceptable JSON: it is nested too deeply"
            await self._keep(received.delivery(http_status=400, outcome="bad-json", note=note))
            return _problem(400, "malformed-json", note)
        except ValueError as error:
            note = f"body is not valid JSON: {error}"
            await self._keep(received.delivery(http_status=400, outcome="bad-json", note=note))
            return _problem(400, "malformed-json", note)
        if not isinstance(data, dict):
            note = "body: a webhook event must be a JSON object"
            await self._keep(received.delivery(http_status=400, outcome="bad-shape", note=note))
            return _problem(400, "invalid-event", note, field="")
        event_type = wire.event_type_of(data)
        if not wire.is_known_event_type(event_type):
            note = "body has no eventType"
            if event_type:
                note = f"eventType {event_type!r} is not handled"
            await self._keep_or_raise(
                received.delivery(
                    answer=EMPTY_TEXT,
                    outcome="ignored",
                    note=note,
                    event_type=event_type[:64] if event_type else None,
                )
            )
            return 200, EMPTY
        field, note = describe_validation_error(exc)
        refused = received.delivery(
            http_status=400, outcome="bad-shape", note=note, event_type=event_type
        )
        await self._keep(refused)
        return _problem(400, "invalid-event", note, field=field)

    async def _call_action(
        self,
        received: Received,
        fields: CallActionFields,
        parsed: wire.CallActionEvent | None,
    ) -> tuple[int, bytes]:
        """Decide the answer, commit it with the delivery, answer (or replay the first
        answer of a repeated event)."""
        seen = current()
        if parsed is None:
            seen.identify_fields(fields)
        replay = self._recent.get(fields.event_id)
        if replay is not None:
            seen.outcome = "repeated"
            return 200, replay
        full: list[wire.CallActionEvent] = [parsed] if parsed is not None else []

        def event() -> wire.CallActionEvent:
            """The full event, parsed once, when the answer must be decided for it."""
            if not full:
                full.append(wire.CallActionEvent.model_validate_json(received.body))
            return full[0]

        known, note = self._tree_without_store(fields, event, received.flow)
        if known is not None:
            chosen = known
        else:  # chosen by the session's record: read it (rare: several trees)
            chosen, note = await anyio.to_thread.run_sync(
                self._tree_for, fields, event, received.flow
            )
        tree = await self._version_for(fields.client_action_id, chosen)
        answerer = self.answerer
        if answerer.prepares(tree):
            answered = answerer.decide_fields(fields, tree, note, event)
        else:
            variables: dict[str, str] | None = None
            if tree.reads_variables:
                variables = await self.committer.read_variables(fields.session_id)
            switches = await self.switches.fresh() if tree.uses_calendars else None
            if tree.uses_hooks:  # a hook may block (an HTTP request, user code): not on the loop
                answered = await anyio.to_thread.run_sync(
                    answerer.decide, event(), tree, variables, note, switches
                )
            else:
                answered = answerer.decide(event(), tree, variables, note, switches)
        delivery = Delivery(
            channel=received.channel,
            received_at=received.at,
            body=received.text,
            headers=received.headers,
            http_status=200,
            answer=answered.answer.decode(),
            outcome=answered.outcome,
            note=answered.note,
            event_id=fields.event_id,
            event_type=CALL_ACTION,
            session_id=fields.session_id,
            latency_ms=round((perf_counter() - seen.started) * 1000, 3),
            version=answered.version,
        )
        write = VcaWrite(
            delivery=delivery,
            update=session_update(fields, answered, tree),
            variables=answered.variables,
        )
        answer_first = self.durability == "answer-first" and not tree.uses_variables
        kept = await self.committer.commit_vca(write, wait=not answer_first)
        if kept.fresh:
            seen.outcome = answered.outcome
            self.observer.visit(tree.name, answered.node)
        else:
            seen.outcome = "repeated"
        if self.trees.touch_due(tree):
            await anyio.to_thread.run_sync(self.trees.touch, tree)
        return self._answer(fields.event_id, answered, kept)

    async def _version_for(self, action_id: str | None, tree: Tree) -> Tree:
        """The version of ``tree`` the call is on (its `clientActionId`'s tag): the current one
        for a new call or an id without a tag; an unknown tag gets the current version too,
        whose engine answers its entry menu with a note."""
        tag = version_tag_of(action_id)
        if tag is None or tag == tree.version_tag:
            return tree
        known = self.trees.version(tree.name, tag)
        if known is None:
            known = await anyio.to_thread.run_sync(self.trees.load_version, tree.name, tag)
        return known if known is not None else tree

    def _answer(self, event_id: str, answered: Answered, kept: Kept) -> tuple[int, bytes]:
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
        return status, answer

    def _remember(self, event_id: str, answer: bytes) -> None:
        self._recent[event_id] = answer
        if len(self._recent) > RECENT_ANSWERS:
            self._recent.popitem(last=False)

    def _tree_without_store(
        self, fields: CallActionFields, event: Callable[[], wire.CallActionEvent], flow: str | None
    ) -> tuple[Tree | None, str | None]:
        """The tree when it can be chosen without reading the store (else None)."""
        if flow is not None:
            chosen = self.trees.get(flow)
            if chosen is not None:
                return chosen, None
            return self.trees.default, f"no tree named {flow!r}; answered with the default tree"
        if self.trees.single:
            return self.trees.default, None
        if fields.is_new_inbound_call:
            return self.trees.by_number(event()) or self.trees.default, None
        return None, None

    def _tree_for(
        self, fields: CallActionFields, event: Callable[[], wire.CallActionEvent], flow: str | None
    ) -> tuple[Tree, str | None]:
        """The tree that answers the event: by path, by the session's tree, by number."""
        tree, note = self._tree_without_store(fields, event, flow)
        if tree is not None:
            return tree, note
        try:
            session = self.store.session(fields.session_id)
        except Exception:  # noqa: BLE001 - choose by number rather than not answer
            log.exception("could not read the session %s", fields.session_id)
            session = None
        chosen = self.trees.get(session.flow) if session is not None else None
        if chosen is not None:
            return chosen, None
        return self.trees.by_number(event()) or self.trees.default, None

    async def _last_resort(self, received: Received) -> tuple[int, bytes]:
        is_summary = b'"SESSION_SUMMARY"' in received.body
        tree = self.trees.get(received.flow) if received.flow else None
        tree = tree or self.trees.default
        answer = EMPTY if is_summary or received.channel != "vca" else self.trees.fallback(tree)
        fallback = received.delivery(
            answer=answer.decode(),
            outcome="fallback",
            note="unexpected internal error; see the log",
        )
        current().note(fallback)
        if is_summary:
            # Kept raw in the spool: the replay parses and stores it once the bug is fixed.
            if self.spool is None or not await anyio.to_thread.run_sync(self._spooled, fallback):
                return _not_kept()
            return 200, answer
        await self._keep(fallback)
        return 200, answer

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
