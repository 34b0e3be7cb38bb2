"""One call of a session (leg A, leg B): its numbers, its timeline, and how it shows on the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import uuid4

from ivrkit.simulator._account.numbers import country_of, e164
from ivrkit.simulator._account.phones import PhoneScript
from ivrkit.simulator._timelines import iso_ms, iso_s
from ivrkit.wire import CallQuality, Leg, SessionStatus

__all__ = ["LegState", "session_status"]

LegKey = Literal["callA", "callB"]

SIP_CODES: dict[str, int] = {
    SessionStatus.COMPLETED: 200,
    SessionStatus.BUSY: 486,
    SessionStatus.NO_ANSWER: 480,
    SessionStatus.FAILED: 503,
    SessionStatus.CANCELED: 487,
    SessionStatus.ERROR: 500,
}
"""Final SIP code of a leg by its `callStatus` (spec §8)."""


@dataclass
class LegState:
    key: LegKey
    direction: Literal["OUTBOUND", "INBOUND"]
    source: str
    destination: str
    script: PhoneScript
    initiated: datetime
    source_ref_id: str | None = None
    destination_ref_id: str | None = None
    call_id: str = field(default_factory=lambda: str(uuid4()))
    connected: datetime | None = None
    disconnected: datetime | None = None
    status: str | None = None
    """The final `callStatus` (COMPLETED, BUSY, ...) once the leg is over."""
    prompts_heard: int = 0
    captures_heard: int = 0
    """`sayAndCapture` actions heard (each may have several tries, or prompts)."""
    presses_used: int = 0

    def __post_init__(self) -> None:
        self.source = e164(self.source)
        self.destination = e164(self.destination)

    @property
    def phone(self) -> str:
        """The simulated party's number: the callee of an outbound leg, the caller of an inbound."""
        return self.destination if self.direction == "OUTBOUND" else self.source

    @property
    def up(self) -> bool:
        return self.connected is not None and self.disconnected is None

    @property
    def over(self) -> bool:
        return self.status is not None

    @property
    def hangup_at(self) -> datetime | None:
        """When this party's script makes it hang up."""
        if self.connected is None or self.script.hangup_after is None:
            return None
        return self.connected + timedelta(seconds=self.script.hangup_after)

    def finish(self, status: str, at: datetime) -> None:
        if self.over:
            return
        self.status = status
        self.disconnected = at

    def duration(self, now: datetime) -> int:
        """Connected seconds (truncated), up to ``now`` or to the end of the leg."""
        if self.connected is None:
            return 0
        end = self.disconnected or now
        return max(int((end - self.connected).total_seconds()), 0)

    @property
    def sip_code(self) -> int:
        if self.status is not None:
            return SIP_CODES.get(self.status, 200)
        return 200 if self.connected is not None or self.direction == "INBOUND" else 100

    def event_fields(self, now: datetime) -> dict[str, Any]:
        """The leg's part of a call-event payload (VCA, VCS), as model field names."""
        fields: dict[str, Any] = {
            "call_id": self.call_id,
            "call_direction": self.direction,
            "call_type": "PSTN",
            "source": self.source,
            "destination": self.destination,
            "source_format": "MSISDN",
            "destination_format": "MSISDN",
            "source_country_code": country_of(self.source),
            "destination_country_code": country_of(self.destination),
            "source_ref_id": self.source_ref_id,
            "destination_ref_id": self.destination_ref_id,
            "call_duration": self.duration(now),
            "sip_code": self.sip_code,
            "timestamp": iso_ms(now),
        }
        return {name: value for name, value in fields.items() if value is not None}

    def to_wire(self, quality: tuple[float, float, int], now: datetime) -> Leg:
        """The leg as a session summary reports it."""
        fields: dict[str, Any] = {
            "call_id": self.call_id,
            "call_direction": self.direction,
            "call_type": "PSTN",
            "initiated_timestamp": iso_s(self.initiated),
            "connected_timestamp": iso_s(self.connected) if self.connected else None,
            "disconnected_timestamp": iso_s(self.disconnected or now),
            "source": self.source,
            "destination": self.destination,
            "source_format": "MSISDN",
            "destination_format": "MSISDN",
            "source_country_code": country_of(self.source),
            "destination_country_code": country_of(self.destination),
            "source_ref_id": self.source_ref_id,
            "destination_ref_id": self.destination_ref_id,
            "call_status": self.status or SessionStatus.COMPLETED,
            "call_duration": self.duration(now),
        }
        if self.connected is not None:
            mos, loss, jitter = quality
            fields["call_quality"] = CallQuality(mos=mos, packet_loss_rate=loss, jitter=jitter)
        return Leg(**{name: value for name, value in fields.items() if value is not None})


def session_status(call_a: str | None, call_b: str | None, *, error: bool = False) -> str:
    """The summary's `sessionStatus` from the legs' statuses (the derivation table, spec §6.5)."""
    if error:
        return SessionStatus.ERROR
    first = call_a or SessionStatus.COMPLETED
    if call_b is None:
        return first
    if first == SessionStatus.CANCELED:
        return SessionStatus.CANCELED
    if first == SessionStatus.COMPLETED:
        return call_b
    return first
