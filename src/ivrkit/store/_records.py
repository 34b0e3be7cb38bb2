"""What the store takes in and gives back: plain frozen records, independent of the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivrkit.wire._events import SessionSummaryEvent

IN_PROGRESS = "IN_PROGRESS"
"""`SessionRecord.status` of a session whose summary has not arrived yet."""

CALL_PLACED = "call-placed"
"""`SessionUpdate.route` of the first step of an outbound call: the entry nodes the callee hears
before any event comes (recorded when the call is placed)."""


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One HTTP request the webhook server received, and what it answered (built by keyword)."""

    channel: str
    """Which endpoint: "vca", "vss", or another path tail."""
    received_at: datetime
    """When the request arrived (UTC, aware)."""
    body: str
    """The raw body as received (utf-8 decoded with ``errors="replace"``)."""
    headers: dict[str, str]
    """The headers that matter (content-type, user-agent, ...); never authorization values."""
    http_status: int
    answer: str | None
    """The JSON text answered, None for an empty answer."""
    outcome: str
    """A short machine word: "answered", "summary", "duplicate", "bad-json", "fallback", ..."""
    note: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    session_id: str | None = None
    id: int | None = None
    """Assigned by the store."""
    latency_ms: float | None = None
    """Milliseconds from the request's arrival to its answer being decided (the commit it then
    waits for is not included); None for deliveries not answered from a tree."""
    version: str | None = None
    """The version of the tree that answered (:func:`ivrkit.trees._engine.spec_version`)."""


@dataclass(frozen=True)
class SessionUpdate:
    """What one CALL_ACTION event, and the answer to it, tell about its session."""

    session_id: str
    at: datetime
    """The event time (UTC)."""
    sub_account_id: str | None = None
    direction: str | None = None
    """INBOUND / OUTBOUND of leg A."""
    customer: str | None = None
    """The caller's or callee's number (E.164)."""
    digits: str | None = None
    """Digits pressed in this event; None (or "") when there was no input."""
    last_action: str | None = None
    """UPPER_SNAKE name of the last action of the answer sent (MAKE_CALL, HANGUP, ...)."""
    node: str | None = None
    """The IVR tree node the answer came from."""
    flow: str | None = None
    """The name of the IVR tree."""
    outcome: str | None = None
    """The outcome label the answer reached (:mod:`ivrkit._outcomes`); None: no labelled node."""
    # The step the caller took (path analytics); stored when ``version`` is set.
    version: str | None = None
    """The version of the tree that answered (``Tree.version``)."""
    heard: str | None = None
    """The node the caller was at when the event came (None: a new inbound call)."""
    replay: int = 0
    """How often ``heard`` had been replayed."""
    route: str | None = None
    """The kind of route taken from ``heard`` (``ivrkit.trees.RouteKind``)."""
    route_value: str | None = None
    led_to: str | None = None
    """The node that route led to (None: the call ends)."""
    passed: str = ""
    """The nodes the answer passed through, space-separated."""
    more_routes: str | None = None
    """Routes taken after the first, as JSON ``[[node, kind, value, to], ...]``."""
    label_transfer: bool = False
    """Whether the node of ``outcome`` (the label) is a transfer."""


@dataclass(frozen=True, kw_only=True)
class OutboundCall:
    """A session started with Send Callflow, to note in the store before its first webhook comes
    (:meth:`~ivrkit.store.Store.record_outbound_calls`)."""

    session_id: str
    at: datetime
    customer: str | None
    sub_account_id: str | None
    flow: str | None
    request_id: str | None
    client_request_id: str | None = None
    step: SessionUpdate | None = None
    """The first step of its path (:data:`CALL_PLACED`)."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """The session's variables from the start."""


@dataclass(frozen=True, kw_only=True)
class VcaWrite:
    """One delivery to record, what it tells about its session, and the session variables its
    answer set (stored only when the event was not recorded before)."""

    delivery: Delivery
    update: SessionUpdate | None = None
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SummaryWrite:
    """One SESSION_SUMMARY delivery to record with the summary it carries."""

    delivery: Delivery
    event: SessionSummaryEvent


@dataclass(frozen=True)
class SessionRecord:
    """A session as the store knows it: from its events, its outbound request and its summary."""

    session_id: str
    status: str
    """IN_PROGRESS until a summary arrives, then its sessionStatus (COMPLETED, ERROR, ...)."""
    direction: str | None
    sub_account_id: str | None
    customer: str | None
    flow: str | None
    node: str | None
    """The last tree node answered."""
    last_action: str | None
    """From the summary when there is one, else from the last answer."""
    digits: list[str]
    """Every digits string pressed, in arrival order."""
    started_at: datetime | None
    """The summary's startTime when known, else the first event or outbound-call time."""
    ended_at: datetime | None
    """The summary's endTime."""
    duration_seconds: float | None
    """ended_at - started_at when both are known."""
    call_count: int | None
    error_code: int | None
    error_message: str | None
    client_request_id: str | None
    request_id: str | None
    """The callFlowRequestId of the Send Callflow request that started it (outbound)."""
    outcome_label: str | None = None
    """The outcome label of the last labelled tree node the session reached."""
    first_version: str | None = None
    """The version of the tree that answered the session's first event."""
    last_version: str | None = None
    """The version of the tree that answered its latest event."""

    @property
    def outcome(self) -> str | None:
        """What the session ended with (:func:`ivrkit._outcomes.derive`); None while in progress
        and before any labelled node."""
        from ivrkit._outcomes import derive

        return derive(self.status, self.outcome_label, digits=self.digits, in_progress=IN_PROGRESS)


@dataclass(frozen=True)
class LegRecord:
    """One leg of a session summary."""

    name: str
    """The details key normalised to "callA", "callB", ..."""
    call_id: str | None
    direction: str | None
    status: str | None
    source: str | None
    destination: str | None
    initiated: datetime | None
    connected: datetime | None
    disconnected: datetime | None
    duration_seconds: int | None
    mos: float | None
    packet_loss_rate: float | None
    jitter: float | None
    call_type: str | None = None


@dataclass(frozen=True)
class SummaryRecord:
    """The session summary (VSS) kept for a session: the first one received."""

    session_id: str
    session_status: str
    received_at: datetime
    payload: dict[str, Any]
    """The event's `payload` object as received (camelCase JSON)."""
    version: int | None
    legs: list[LegRecord] = field(default_factory=list)
