"""The state of one simulated session: its legs, its transcript, and its summary when it ends."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import uuid4

from ivrkit.rules import RUNTIME_ERRORS
from ivrkit.simulator._calls.legs import LegKey, LegState, session_status
from ivrkit.simulator._calls.transcript import (
    Ended,
    SessionInfo,
    SessionView,
    Transcript,
    TranscriptEntry,
    _Entry,
)
from ivrkit.simulator._timelines import Timeline, iso_ms, iso_s
from ivrkit.wire import (
    EVENT_DESCRIPTIONS,
    ErrorDetails,
    EventType,
    SessionStatus,
    SessionSummaryEvent,
    SessionSummaryPayload,
)

if TYPE_CHECKING:
    from ivrkit.simulator._account.webhooks import Webhook

__all__ = ["HANGUP_KEY", "SILENCE_KEY", "Session", "StaleCopy"]

HANGUP_KEY = "hangup"
SILENCE_KEY = "silence"
"""Queued after live keys: nothing more will be pressed, so the capture may time out."""
"""Put on the keypad queue by a live hang-up so that a capture waiting for keys notices it."""

SUMMARY_VERSION = 5


@dataclass(frozen=True)
class StaleCopy:
    """A copy of a delivered event held back to be sent again later, out of order."""

    hook: Webhook
    content: bytes
    event_id: str
    attempt: int


class Session:
    """Everything the platform knows about one session while it runs and after it ended."""

    def __init__(
        self,
        *,
        sub_account_id: str,
        direction: Literal["OUTBOUND", "INBOUND"],
        caller: str,
        timeline: Timeline,
        interactive: bool = False,
        stepped: bool = False,
        patience: float = 30.0,
        client_request_id: str | None = None,
    ) -> None:
        self.id = str(uuid4())
        self.sub_account_id = sub_account_id
        self.direction = direction
        self.caller = caller
        self.timeline = timeline
        self.interactive = interactive or stepped
        self.stepped = stepped
        self.patience = patience
        self.client_request_id = client_request_id
        self.started_at = timeline.now()
        self.ended_at: datetime | None = None
        self.legs: dict[LegKey, LegState] = {}
        self.transcript = Transcript()
        self.last_action: str | None = None
        self.client_action_id: str | None = None
        self.error: tuple[int, str] | None = None
        self.status: str | None = None
        self.summary: SessionSummaryEvent | None = None
        self.keypad: asyncio.Queue[str] = asyncio.Queue()
        self.hangup_requested: asyncio.Event = asyncio.Event()
        self.hangup_leg: LegKey = "callA"
        self.ended = asyncio.Event()
        self.telemetry: set[asyncio.Task[Any]] = set()
        self.in_flight: set[asyncio.Task[Any]] = set()
        """CALL_ACTION deliveries the caller hung up during: awaited after the summary."""
        self.stale: dict[str, list[StaleCopy]] = {}
        """Held-back copies by webhook type (the ``out_of_order`` fault)."""
        self._changed: asyncio.Event | None = None
        """Set at the next entry; made only while someone long-polls the transcript."""

    @property
    def active(self) -> bool:
        return not self.ended.is_set()

    def now(self) -> datetime:
        return self.timeline.now()

    @property
    def entries(self) -> list[TranscriptEntry]:
        """The transcript so far, as models."""
        return self.transcript.entries()

    def record(self, kind: type[_Entry], **fields: Any) -> None:
        """Append an entry of ``kind``, dated now, and wake whoever follows the transcript."""
        self.transcript.add(self.timeline.now(), kind, fields)
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def changed(self, after: int, timeout: float) -> None:
        """Wait (real seconds, bounded) until there is an entry past ``after`` or the end."""
        if len(self.transcript) > after or self.ended.is_set():
            return
        if self._changed is None:
            self._changed = asyncio.Event()
        waiter = self._changed
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
        except TimeoutError:
            return

    def request_hangup(self, leg: LegKey = "callA") -> None:
        """A live hang-up (control API): the running session notices at its next wait."""
        self.hangup_leg = leg
        self.hangup_requested.set()
        self.keypad.put_nowait(HANGUP_KEY)

    def press(self, digits: str, *, then_silence: bool = False) -> None:
        for key in digits:
            self.keypad.put_nowait(key)
        if then_silence:
            self.keypad.put_nowait(SILENCE_KEY)

    def fail(self, code: int) -> None:
        """The session ends in ERROR with this run-time code (-20xx)."""
        self.error = (code, RUNTIME_ERRORS.get(code, RUNTIME_ERRORS[-9999]))

    @property
    def session_status(self) -> str:
        call_a = self.legs.get("callA")
        call_b = self.legs.get("callB")
        return session_status(
            call_a.status if call_a else None,
            call_b.status if call_b else None,
            error=self.error is not None,
        )

    def summary_event(self, quality: tuple[float, float, int]) -> SessionSummaryEvent:
        """The SESSION_SUMMARY of the session as it stands (every leg over)."""
        now = self.now()
        ends = [leg.disconnected for leg in self.legs.values() if leg.disconnected is not None]
        end = max(ends) if ends else now
        fields: dict[str, Any] = {
            "session_id": self.id,
            "sub_account_id": self.sub_account_id,
            "session_status": self.session_status,
            "start_time": iso_s(self.started_at),
            "end_time": iso_s(end),
            "last_action": self.last_action or "MAKE_CALL",
            "call_count": len(self.legs),
            "details": {key: leg.to_wire(quality, end) for key, leg in self.legs.items()},
        }
        if self.client_request_id is not None:
            fields["client_request_id"] = self.client_request_id
        if self.error is not None:
            code, message = self.error
            fields["error_details"] = ErrorDetails(error_code=code, error_msg=message)
        return SessionSummaryEvent(
            namespace="VOICE",
            event_type=EventType.SESSION_SUMMARY,
            description=EVENT_DESCRIPTIONS[EventType.SESSION_SUMMARY],
            payload=SessionSummaryPayload(**fields),
            version=SUMMARY_VERSION,
        )

    def close(self, summary: SessionSummaryEvent | None) -> None:
        """Mark the session ended (after its summary was delivered, or on reset)."""
        if self.ended.is_set():
            return
        self.summary = summary
        self.status = summary.payload.session_status if summary else SessionStatus.CANCELED
        self.ended_at = self.now()
        code, message = self.error if self.error else (None, None)
        self.record(Ended, status=self.status, error_code=code, error_msg=message)
        self.ended.set()

    def info(self) -> SessionInfo:
        return SessionInfo(
            session_id=self.id,
            sub_account_id=self.sub_account_id,
            direction=self.direction,
            state="active" if self.active else "ended",
            status=self.status,
            started_at=iso_ms(self.started_at),
            ended_at=iso_ms(self.ended_at) if self.ended_at else None,
            caller=self.caller,
            interactive=self.interactive,
            last_seq=len(self.transcript),
        )

    def view(self, after: int = 0) -> SessionView:
        return SessionView(
            **self.info().model_dump(),
            entries=self.transcript.entries(after),
            summary=self.summary,
        )
