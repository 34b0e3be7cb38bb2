"""What happened in a simulated session, entry by entry: the typed model of the control API.

Each entry has a sequence number (``seq``, from 1) and the simulated time (``at``). Renderers
switch on ``kind``; :data:`TranscriptEntry` is the tagged union of all kinds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ivrkit.simulator._base import ControlModel
from ivrkit.wire import SessionSummaryEvent

__all__ = [
    "CallflowReceived",
    "Captured",
    "Ended",
    "LegChanged",
    "Note",
    "Played",
    "Pressed",
    "SessionInfo",
    "SessionView",
    "Spoken",
    "TranscriptEntry",
    "WebhookSent",
]

LegKey = Literal["callA", "callB"]


class _Entry(ControlModel):
    seq: int = 0
    at: str = ""


class Spoken(_Entry):
    """Text-to-speech played into the call."""

    kind: Literal["spoken"] = "spoken"
    leg: LegKey = "callA"
    text: str
    voice_profile: str | None = None
    purpose: Literal["say", "prompt", "success", "failure"] = "say"
    speed: float = 1.0
    repetition: int = 1
    seconds: float = 0.0


class Played(_Entry):
    """An audio file played into the call."""

    kind: Literal["played"] = "played"
    leg: LegKey = "callA"
    file_url: str
    repetition: int = 1
    seconds: float = 0.0


class Pressed(_Entry):
    """A key pressed by the phone of a leg."""

    kind: Literal["pressed"] = "pressed"
    leg: LegKey = "callA"
    key: str


class Captured(_Entry):
    """The end of one try of a `sayAndCapture`."""

    kind: Literal["captured"] = "captured"
    attempt: int
    tries: int
    digits: str
    dtmf: str | None
    valid: bool
    ended_by: str
    ignored: str = ""


LegEvent = Literal[
    "dialled",
    "received",
    "answered",
    "busy",
    "no-answer",
    "failed",
    "bridged",
    "hung-up",
    "canceled",
    "disconnected",
]


class LegChanged(_Entry):
    """A leg was dialled, answered, bridged or hung up."""

    kind: Literal["leg"] = "leg"
    leg: LegKey
    event: LegEvent
    number: str
    call_id: str
    detail: str | None = None


class WebhookSent(_Entry):
    """One delivery attempt of a webhook and what came back."""

    kind: Literal["webhook"] = "webhook"
    type: str
    url: str
    event_id: str
    attempt: int
    body: dict[str, Any]
    status: int | None = None
    answer: Any = None
    error: str | None = None
    elapsed_ms: float = 0.0
    answer_sha256: str | None = None
    """Digest of the answer's exact bytes: equal digests, byte-identical answers."""
    injected: Literal["late-answer", "duplicate", "out-of-order"] | None = None
    """Set when a fault from ``/sim/v1/faults`` shaped this attempt."""


class CallflowReceived(_Entry):
    """A callflow the platform judged: the Send Callflow request or a CALL_ACTION answer."""

    kind: Literal["callflow"] = "callflow"
    origin: Literal["request", "answer"]
    client_action_id: str | None = None
    callflow: Any = None
    status_code: int
    status_message: str


class Note(_Entry):
    """Something worth telling that is not a call event (why a session ended, ...)."""

    kind: Literal["note"] = "note"
    text: str


class Ended(_Entry):
    """The session ended; ``status`` is the summary's `sessionStatus`."""

    kind: Literal["ended"] = "ended"
    status: str
    error_code: int | None = None
    error_msg: str | None = None


TranscriptEntry = Annotated[
    Spoken
    | Played
    | Pressed
    | Captured
    | LegChanged
    | WebhookSent
    | CallflowReceived
    | Note
    | Ended,
    Field(discriminator="kind"),
]


class SessionInfo(ControlModel):
    """A session at a glance."""

    session_id: str
    sub_account_id: str
    direction: Literal["OUTBOUND", "INBOUND"]
    state: Literal["active", "ended"]
    status: str | None = None
    """The `sessionStatus` once ended."""
    started_at: str
    ended_at: str | None = None
    caller: str
    """The simulated phone of leg A."""
    interactive: bool = False
    last_seq: int = 0


class SessionView(SessionInfo):
    """A session with its transcript (entries after ``?after=``) and its summary once ended."""

    entries: list[TranscriptEntry] = Field(default_factory=list)
    summary: SessionSummaryEvent | None = None
