"""A session's timeline: every webhook received, key pressed, answer sent (with its latency) and
prompt spoken, the summary and its legs, oldest first (a leg is placed at the time it was
initiated, usually before the first webhook)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from ivrkit._masking import mask_digits, mask_number
from ivrkit.dashboard._browse import SessionDetail
from ivrkit.store._records import Delivery, LegRecord, SummaryRecord
from ivrkit.wire import CallActionEvent, Callflow, parse_event
from ivrkit.wire._actions import MakeCall, PlayFile, Say, SayAndCapture

__all__ = ["KINDS", "Entry", "timeline"]

KINDS = ("placed", "prompt", "keys", "webhook", "answer", "summary", "leg")


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    kind: str
    """One of :data:`KINDS`."""
    at: datetime | None
    title: str
    detail: str = ""
    node: str | None = None
    latency_ms: float | None = None
    """For answers: milliseconds from the webhook's arrival to the answer, when recorded."""


def timeline(detail: SessionDetail, *, show_numbers: bool) -> list[Entry]:
    """The entries of one session, oldest first; numbers masked unless ``show_numbers``. A
    callback starts where the customer's experience does: the Send Callflow that placed it and
    the prompts it played, with how long the customer heard them before answering."""
    entries: list[Entry] = _opening(detail, show_numbers)
    summary_shown = False
    for delivery in detail.deliveries:
        if delivery.channel == "vss" and detail.summary is not None and not summary_shown:
            entries.append(_webhook(delivery, None))
            entries += _summary(detail.summary, delivery.received_at, show_numbers)
            summary_shown = True
            continue
        event = _call_action(delivery)
        node = event.payload.client_action_id if event is not None else None
        entries.append(_webhook(delivery, event))
        if event is not None and event.digits:
            typed = mask_digits(event.digits, show=show_numbers)
            entries.append(Entry("keys", delivery.received_at, typed, node=node))
        if delivery.answer:
            entries += _answer(delivery, show_numbers)
    if detail.summary is not None and not summary_shown:
        entries += _summary(detail.summary, detail.summary.received_at, show_numbers)
    return _oldest_first(entries)


def _oldest_first(entries: list[Entry]) -> list[Entry]:
    """The entries by time, those recorded together in the order they were built; an entry
    without a time keeps its place after the entry before it."""
    keys: list[datetime] = []
    known: datetime | None = None
    for entry in entries:
        known = entry.at or known
        keys.append(known or datetime.min.replace(tzinfo=UTC))
    order = sorted(range(len(entries)), key=keys.__getitem__)
    return [entries[index] for index in order]


def _opening(detail: SessionDetail, show_numbers: bool) -> list[Entry]:
    opening = detail.opening
    if opening is None:
        return []
    customer = mask_number(detail.session.customer, show=show_numbers)
    # The platform's times (the legs', to the second) and ours (when the call was placed, when
    # a webhook came) are told apart by a clock's skew: the request is shown no later than the
    # leg it made begins, and the opening between the leg's answer and the first webhook.
    legs = detail.summary.legs if detail.summary is not None else []
    leg = next((leg for leg in legs if leg.name == "callA"), None)
    placed = min(opening.at, leg.initiated) if leg is not None and leg.initiated else opening.at
    heard_at = max(
        [opening.at, *(moment for moment in (leg.initiated, leg.connected) if moment)]
        if leg is not None
        else [opening.at]
    )
    first = next((d.received_at for d in detail.deliveries if d.channel != "vss"), None)
    if first is not None:
        heard_at = max(placed, min(heard_at, first))
    entries = [
        Entry(
            "placed",
            placed,
            "Send Callflow: the callback is placed",
            f"calls {customer or 'the customer'}, tree version {opening.version}",
        )
    ]
    heard = _heard_for(detail)
    for index, (node, kind, text) in enumerate(opening.prompts):
        last = index == len(opening.prompts) - 1
        detail_text = f"{kind}" + (f"; {heard}" if last and heard else "")
        entries.append(Entry("prompt", heard_at, text, detail_text, node))
    return entries


def _heard_for(detail: SessionDetail) -> str:
    """How long the customer heard the opening before their first answer: from the callee's leg
    connecting to the first CALL_ACTION, both on the platform's clock; else from the call being
    placed to the first CALL_ACTION's arrival, on ours (ringing included)."""
    first = next((d for d in detail.deliveries if d.event_type == "CALL_ACTION"), None)
    if first is None or detail.opening is None:
        return ""
    event = _call_action(first)
    answered = _moment(event.payload.timestamp) if event is not None else None
    connected = None
    if detail.summary is not None:
        connected = next(
            (leg.connected for leg in detail.summary.legs if leg.name == "callA"), None
        )
    if answered is not None and connected is not None and answered >= connected:
        return f"heard for {(answered - connected).total_seconds():.0f} s before the first answer"
    if first.received_at >= detail.opening.at:
        seconds = (first.received_at - detail.opening.at).total_seconds()
        return f"{seconds:.0f} s from placing the call to the first answer (ringing included)"
    return ""


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _call_action(delivery: Delivery) -> CallActionEvent | None:
    if delivery.event_type != "CALL_ACTION":
        return None
    try:
        event = parse_event(delivery.body)
    except ValidationError:
        return None
    return event if isinstance(event, CallActionEvent) else None


def _webhook(delivery: Delivery, event: CallActionEvent | None) -> Entry:
    kind = delivery.event_type or delivery.channel.upper()
    detail = f"HTTP {delivery.http_status}, {delivery.outcome}"
    if delivery.note:
        detail += f": {delivery.note}"
    node = None
    if event is not None:
        node = event.payload.client_action_id
        kind += f" ({event.payload.call_status})"
    return Entry("webhook", delivery.received_at, kind, detail, node=node)


def _answer(delivery: Delivery, show_numbers: bool) -> list[Entry]:
    latency = delivery.latency_ms
    try:
        callflow = Callflow.model_validate_json(delivery.answer or "")
    except ValidationError:
        return [Entry("answer", delivery.received_at, "answer", "(not a callflow)", None, latency)]
    names = [action.action for action in callflow.callflow]
    node = callflow.client_action_id
    entries = [
        Entry("answer", delivery.received_at, " → ".join(names) or "(empty)", "", node, latency)
    ]
    for action in callflow.callflow:
        if isinstance(action, Say):
            entries.append(Entry("prompt", delivery.received_at, action.params.text, "say", node))
        elif isinstance(action, SayAndCapture):
            prompt = action.params.prompt_message
            entries.append(Entry("prompt", delivery.received_at, prompt, "asks for keys", node))
        elif isinstance(action, PlayFile):
            url = action.params.file_url
            entries.append(Entry("prompt", delivery.received_at, url, "plays a file", node))
        elif isinstance(action, MakeCall):
            number = mask_number(action.params.destination, show=show_numbers)
            entries.append(Entry("prompt", delivery.received_at, f"dials {number}", "", node))
    return entries


def _summary(summary: SummaryRecord, at: datetime, show_numbers: bool) -> list[Entry]:
    payload = summary.payload
    parts = [
        f"last action {payload.get('lastAction') or '-'}",
        f"{payload.get('callCount') or 0} call(s)",
    ]
    entries = [Entry("summary", at, summary.session_status, ", ".join(parts))]
    entries += [_leg(leg, show_numbers) for leg in summary.legs]
    return entries


def _leg(leg: LegRecord, show_numbers: bool) -> Entry:
    source = mask_number(leg.source, show=show_numbers)
    destination = mask_number(leg.destination, show=show_numbers)
    duration = f"{leg.duration_seconds} s" if leg.duration_seconds is not None else "-"
    detail = f"{source or '?'} → {destination or '?'}, {leg.status or '?'}, {duration}"
    return Entry("leg", leg.initiated, f"{leg.name} ({leg.direction or '?'})", detail)
