"""A simulated call told as a person would tell it: who spoke, what was pressed, who was
dialled, what the backend answered, how it ended. Shared by the demo, the softphone and the
testing kit's failure messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ivrkit.simulator._calls.transcript import (
    CallflowReceived,
    Captured,
    Ended,
    LegChanged,
    Note,
    Played,
    Pressed,
    SessionView,
    Spoken,
    TranscriptEntry,
    WebhookSent,
)

LEG_NAMES = {"callA": "caller", "callB": "agent"}


@dataclass(frozen=True)
class NarratedLine:
    """One line of a call as :func:`narrate` tells it."""

    at: str
    """Simulated time, HH:MM:SS."""
    kind: str
    """spoken, pressed, leg, webhook, answer, capture, note, ended, summary: for styling."""
    text: str

    def plain(self) -> str:
        return f"{self.at}  {self.text}"


def _clock(at: str) -> str:
    return at[11:19] if len(at) >= 19 else at


def narrate_entry(entry: TranscriptEntry) -> NarratedLine | None:
    """One readable line for a transcript entry (None for entries not worth a line)."""
    at = _clock(entry.at)
    if isinstance(entry, Spoken):
        who = {"prompt": "asks", "success": "confirms", "failure": "warns"}.get(
            entry.purpose, "says"
        )
        return NarratedLine(at, "spoken", f'IVR {who}: "{entry.text}"')
    if isinstance(entry, Played):
        return NarratedLine(at, "spoken", f"IVR plays {entry.file_url}")
    if isinstance(entry, Pressed):
        return NarratedLine(
            at, "pressed", f"{LEG_NAMES.get(entry.leg, entry.leg)} presses {entry.key}"
        )
    if isinstance(entry, Captured):
        if entry.valid:
            return None
        got = f"'{entry.digits}'" if entry.digits else "nothing"
        return NarratedLine(
            at, "capture", f"try {entry.attempt}/{entry.tries}: got {got} ({entry.ended_by})"
        )
    if isinstance(entry, LegChanged):
        who = LEG_NAMES.get(entry.leg, entry.leg)
        detail = f" ({entry.detail})" if entry.detail else ""
        return NarratedLine(at, "leg", f"{who} {entry.number} {entry.event}{detail}")
    if isinstance(entry, WebhookSent):
        return _webhook_line(at, entry)
    if isinstance(entry, CallflowReceived):
        if entry.status_code == 1:
            return None
        return NarratedLine(
            at, "note", f"platform refused the callflow: {entry.status_code} {entry.status_message}"
        )
    if isinstance(entry, Note):
        return NarratedLine(at, "note", entry.text)
    if isinstance(entry, Ended):
        error = f" {entry.error_code} {entry.error_msg}" if entry.error_code is not None else ""
        return NarratedLine(at, "ended", f"session ended: {entry.status}{error}")
    return None


def _webhook_line(at: str, entry: WebhookSent) -> NarratedLine:
    payload = entry.body.get("payload", {}) if isinstance(entry.body, dict) else {}
    if entry.type == "VCA":
        data = payload.get("eventData")
        digits = data.get("dtmf") if isinstance(data, dict) else payload.get("dtmf")
        sent = f"digits {digits!r}" if digits else "no digits"
        if payload.get("callStatus") == "CALL_RECEIVED":
            sent = "a new inbound call"
        state = payload.get("clientActionId")
        sent += f", at {state}" if state else ""
        if entry.status is None:
            return NarratedLine(at, "webhook", f"→ backend: {sent}; no answer ({entry.error})")
        actions = _actions_of(entry.answer)
        return NarratedLine(at, "webhook", f"→ backend: {sent}; ← {entry.status} {actions}")
    if entry.type == "VSS":
        status = payload.get("sessionStatus")
        outcome = f"{entry.status}" if entry.status is not None else f"failed ({entry.error})"
        return NarratedLine(at, "summary", f"→ backend: session summary {status} ({outcome})")
    return NarratedLine(
        at, "webhook", f"→ backend: {entry.type} {payload.get('callStatus', '')}".rstrip()
    )


def _actions_of(answer: object) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("callflow"), list):
        names = [str(item.get("action")) for item in answer["callflow"] if isinstance(item, dict)]
        state = answer.get("clientActionId")
        return " + ".join(names) + (f" (next at {state})" if state else "")
    return "an unusable answer"


def narrate(entries: Iterable[TranscriptEntry]) -> list[NarratedLine]:
    return [line for entry in entries if (line := narrate_entry(entry)) is not None]


def summary_line(view: SessionView) -> str:
    """One line from the session summary: status, legs, last action."""
    if view.summary is None:
        return f"session {view.session_id}: no summary yet ({view.state})"
    payload = view.summary.payload
    legs = ", ".join(
        f"{name} {leg.destination} {leg.call_status} {leg.call_duration}s"
        for name, leg in payload.legs.items()
    )
    error = ""
    if payload.error_details is not None:
        error = f", error {payload.error_details.error_code} {payload.error_details.error_msg}"
    return (
        f"summary: {payload.session_status}, lastAction {payload.last_action}, "
        f"callCount {payload.call_count} ({legs}){error}"
    )


def transcript_text(view: SessionView) -> str:
    """The whole call as plain text (for assertion messages and logs)."""
    lines = [line.plain() for line in narrate(view.entries)]
    lines.append(summary_line(view))
    return "\n".join(lines)
