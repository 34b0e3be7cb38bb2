"""What the webhook server tells about each delivery it handles: metrics, a span, and the ids
every log line carries while the delivery is handled.

The pipeline calls :meth:`DeliveryObserver.begin` when a request arrives and
:meth:`DeliveryObserver.end` with its HTTP status; in between it fills in the :class:`Seen` of
the current task as it learns the event (its ids, its type, the outcome).
"""

from __future__ import annotations

import logging
from contextvars import Token
from time import perf_counter

from ivrkit import _tracing as tracing
from ivrkit import wire
from ivrkit._logs import DELIVERIES, DeliveryIds, current_delivery
from ivrkit.server._decode import CallActionFields
from ivrkit.server._metrics import NONE, ServerMetrics, channel_label, event_type_label
from ivrkit.store import Delivery


class Seen(DeliveryIds):
    """One delivery while it is handled."""

    __slots__ = ("channel", "event_type", "outcome", "span", "started", "token")

    def __init__(self, channel: str, span: tracing.Span = tracing.NO_SPAN) -> None:
        # Every field set here, not through super(): this runs for every request.
        self.session_id: str | None = None
        self.event_id: str | None = None
        self.client_action_id: str | None = None
        self.channel = channel
        self.event_type: str | None = None
        self.outcome: str | None = None
        self.span = span
        self.token: Token[DeliveryIds | None] | None = None
        self.started = perf_counter()

    def identify(self, event: wire.WebhookEvent) -> None:
        """The parsed event's type and ids (on every log line from now on)."""
        payload = event.payload
        self.event_type = event.event_type
        if isinstance(event, wire.SessionSummaryEvent):
            # A summary has a session and nothing else: no pydantic lookup (and exception) per
            # missing attribute.
            self.session_id = event.payload.session_id
            return
        self.session_id = getattr(payload, "session_id", None)
        self.event_id = getattr(payload, "event_id", None)
        self.client_action_id = getattr(payload, "client_action_id", None)

    def identify_fields(self, fields: CallActionFields) -> None:
        """:meth:`identify` for a CALL_ACTION read by the fast decoder."""
        self.event_type = "CALL_ACTION"
        self.session_id = fields.session_id
        self.event_id = fields.event_id
        self.client_action_id = fields.client_action_id

    def note(self, delivery: Delivery) -> None:
        """The delivery as it is kept: its outcome (and its type when the body did not parse)."""
        self.outcome = delivery.outcome
        if self.event_type is None:
            self.event_type = delivery.event_type


def current() -> Seen:
    """The delivery this task handles (a detached one outside a delivery)."""
    seen = current_delivery.get()
    return seen if isinstance(seen, Seen) else Seen(NONE)


deliveries_log = logging.getLogger(DELIVERIES)


class DeliveryObserver:
    def __init__(self, metrics: ServerMetrics) -> None:
        self.metrics = metrics

    def begin(self, channel: str) -> Seen:
        seen = Seen(channel_label(channel), tracing.start("ivrkit.delivery", "server"))
        seen.token = current_delivery.set(seen)
        return seen

    def end(self, seen: Seen, status: int) -> None:
        seconds = perf_counter() - seen.started
        outcome = seen.outcome or NONE
        self.metrics.delivery(
            seen.channel, event_type_label(seen.event_type), outcome, status, seconds
        )
        span = seen.span
        if span.recording:
            span.set("ivrkit.channel", seen.channel)
            span.set("ivrkit.event_type", seen.event_type)
            span.set("ivrkit.session_id", seen.session_id)
            span.set("ivrkit.event_id", seen.event_id)
            span.set("ivrkit.client_action_id", seen.client_action_id)
            span.set("ivrkit.outcome", outcome)
            span.set("http.response.status_code", status)
            if status >= 500:
                span.fail(f"answered {status} ({outcome})")
            span.end()
        if deliveries_log.isEnabledFor(logging.INFO):
            _log_delivery(seen, outcome, status, seconds)
        if seen.token is not None:
            current_delivery.reset(seen.token)

    def summary(self, event: wire.SessionSummaryEvent) -> None:
        self.metrics.summary(event.payload.session_status)

    def visit(self, tree: str, node: str | None) -> None:
        if node is not None:
            self.metrics.node_visit(tree, node)


def _log_delivery(seen: Seen, outcome: str, status: int, seconds: float) -> None:
    """The delivery's line: channel, event type, session, eventId, outcome, status, latency
    (the JSON form has each as a field; the ids come from the delivery being handled).

    The record is made and handed to the logger's handlers directly: ``Logger.info`` would
    look up the calling line in the stack first, a third of the line's cost, for a place that
    is always this one."""
    milliseconds = round(seconds * 1000, 2)
    record = deliveries_log.makeRecord(
        DELIVERIES,
        logging.INFO,
        __file__,
        0,
        "%s %s session=%s event=%s %s %d %.1f ms",
        (
            seen.channel,
            seen.event_type or "-",
            seen.session_id or "-",
            seen.event_id or "-",
            outcome,
            status,
            milliseconds,
        ),
        None,
        "_log_delivery",
        {
            "delivery": {
                "channel": seen.channel,
                "eventType": seen.event_type,
                "outcome": outcome,
                "status": status,
                "latencyMs": milliseconds,
            }
        },
    )
    deliveries_log.handle(record)
