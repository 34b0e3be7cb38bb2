"""What happened in a simulated session, entry by entry: the typed model of the control API.

Each entry has a sequence number (``seq``, from 1) and the simulated time (``at``). Renderers
switch on ``kind``; :data:`TranscriptEntry` is the tagged union of all kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field

from ivrkit.simulator._base import ControlModel
from ivrkit.simulator._timelines import iso_ms
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
    "Later",
    "Transcript",
    "TranscriptEntry",
    "WebhookSent",
]

LegKey = Literal["callA", "callB"]


class Later:
    """A field value worked out only when the entry is read (decoding a body, a digest)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


class _Entry(ControlModel):
    seq: int = 0
    at: str = ""

    @classmethod
    def build(cls, seq: int, at: datetime, fields: dict[str, Any]) -> Self:
        values = {
            name: value.make() if isinstance(value, Later) else value
            for name, value in fields.items()
        }
        return cls(seq=seq, at=iso_ms(at), **values)


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


class Transcript:
    """A session's entries as they happen: kept as (time, kind, fields) and made into models
    only when someone reads them, so a call nobody watches pays no validation per step."""

    def __init__(self) -> None:
        self._pending: list[tuple[datetime, type[_Entry], dict[str, Any]]] = []
        self._built: list[TranscriptEntry] = []

    def __len__(self) -> int:
        return len(self._built) + len(self._pending)

    def add(self, at: datetime, kind: type[_Entry], fields: dict[str, Any]) -> None:
        self._pending.append((at, kind, fields))

    def entries(self, after: int = 0) -> list[TranscriptEntry]:
        """The entries past sequence number ``after``, oldest first."""
        if self._pending:
            seq = len(self._built)
            for at, kind, fields in self._pending:
                seq += 1
                self._built.append(kind.build(seq, at, fields))  # type: ignore[arg-type]
            self._pending.clear()
        return self._built[max(after, 0) :]


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
