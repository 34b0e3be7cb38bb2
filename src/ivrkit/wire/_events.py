"""Webhook events the platform POSTs: CALL_ACTION (VCA), CALL_STATUS (VCS), SESSION_SUMMARY (VSS),
CALL_RECORDING_STATUS (VRU), VIRTUAL_NUMBER_UPDATE (VNU).

Parsing is lenient: unknown fields are kept (and serialised back), optional fields may be absent,
and the documented variants (digits at `payload.dtmf` or `payload.eventData.dtmf`, leg keys
`callA` or `CallA`, string or integer codes) are all accepted.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from ivrkit.wire._base import Inbound


class EventType(StrEnum):
    CALL_ACTION = "CALL_ACTION"
    CALL_STATUS = "CALL_STATUS"
    SESSION_SUMMARY = "SESSION_SUMMARY"
    CALL_RECORDING_STATUS = "CALL_RECORDING_STATUS"
    VIRTUAL_NUMBER_UPDATE = "VIRTUAL_NUMBER_UPDATE"


EVENT_DESCRIPTIONS: dict[EventType, str] = {
    EventType.CALL_ACTION: "Action request of a call",
    EventType.CALL_STATUS: "Status update of a call",
    EventType.SESSION_SUMMARY: "Summary of a completed call session",
    EventType.CALL_RECORDING_STATUS: "Call recording status updated",
    EventType.VIRTUAL_NUMBER_UPDATE: "Status of account virtual number(s) updated",
}


class CallStatus(StrEnum):
    """`callStatus` of call events (VCA and VCS)."""

    ACTION_COMPLETED = "ACTION_COMPLETED"
    CALL_RECEIVED = "CALL_RECEIVED"
    DTMF_RECEIVED = "DTMF_RECEIVED"
    CALL_INITIATED = "CALL_INITIATED"
    CALL_CONNECTED = "CALL_CONNECTED"
    CALL_DISCONNECTED = "CALL_DISCONNECTED"
    CALL_UPDATED = "CALL_UPDATED"


class SessionStatus(StrEnum):
    """Final `sessionStatus` of a session summary (voice-messaging opt-out values included)."""

    COMPLETED = "COMPLETED"
    BUSY = "BUSY"
    NO_ANSWER = "NO_ANSWER"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    ERROR = "ERROR"
    COMPLETED_UNSUBSCRIBED = "COMPLETED_UNSUBSCRIBED"
    COMPLETED_UNSUB_ERROR = "COMPLETED_UNSUB_ERROR"
    UNSUBSCRIBED_CONTACT = "UNSUBSCRIBED_CONTACT"


class EventData(Inbound):
    dtmf: str | None = None


Identifier = Annotated[str, Field(min_length=1, max_length=256)]
"""An id the platform assigns (UUIDs in practice); bounded so it can key a database index."""


class CallEventPayload(Inbound):
    """The payload shared by CALL_ACTION and CALL_STATUS events (one leg's view)."""

    event_id: Identifier
    call_id: str | None = None
    session_id: Identifier
    sub_account_id: str | None = None
    call_status: str
    call_direction: str | None = None
    call_type: str | None = None
    source: str | None = None
    destination: str | None = None
    source_format: str | None = None
    destination_format: str | None = None
    source_country_code: str | None = None
    destination_country_code: str | None = None
    source_ref_id: str | None = None
    destination_ref_id: str | None = None
    call_duration: int | str | None = None
    sip_code: int | None = None
    timestamp: str | None = None


class CallActionPayload(CallEventPayload):
    event_data: EventData | str | None = None
    legacy_dtmf: str | None = Field(default=None, alias="dtmf")
    client_action_id: str | None = None

    @property
    def digits(self) -> str | None:
        """The caller's digits wherever the platform put them (`eventData.dtmf`, else `dtmf`)."""
        if isinstance(self.event_data, EventData) and "dtmf" in self.event_data.model_fields_set:
            return self.event_data.dtmf
        return self.legacy_dtmf


class _Envelope(Inbound):
    namespace: str | None = None
    description: str | None = None


class CallActionEvent(_Envelope):
    """VCA: the platform asks what to do next; the answer is a :class:`~ivrkit.wire.Callflow`."""

    event_type: Literal["CALL_ACTION"]
    payload: CallActionPayload

    @property
    def digits(self) -> str | None:
        return self.payload.digits

    @property
    def is_new_inbound_call(self) -> bool:
        return self.payload.call_status == CallStatus.CALL_RECEIVED


class CallStatusEvent(_Envelope):
    """VCS: best-effort per-leg progress telemetry."""

    event_type: Literal["CALL_STATUS"]
    payload: CallEventPayload


class CallQuality(Inbound):
    mos: float | None = None
    packet_loss_rate: float | None = None
    jitter: int | float | None = None


class ErrorDetails(Inbound):
    error_code: int | str | None = None
    error_msg: str | None = None

    @property
    def code(self) -> int | None:
        """`errorCode` as an integer (the number-masking table types it a string, A29)."""
        try:
            return int(self.error_code) if self.error_code is not None else None
        except ValueError:
            return None


class Leg(Inbound):
    """One call of a session (`details.callA`, `details.callB`)."""

    call_id: str | None = None
    call_direction: str | None = None
    call_type: str | None = None
    initiated_timestamp: str | None = None
    connected_timestamp: str | None = None
    disconnected_timestamp: str | None = None
    source: str | None = None
    destination: str | None = None
    source_format: str | None = None
    destination_format: str | None = None
    source_country_code: str | None = None
    destination_country_code: str | None = None
    source_ref_id: str | None = None
    destination_ref_id: str | None = None
    call_status: str | None = None
    call_duration: int | None = None
    call_quality: CallQuality | None = None


class SessionSummaryPayload(Inbound):
    session_id: Identifier
    sub_account_id: str | None = None
    session_status: str
    start_time: str | None = None
    end_time: str | None = None
    last_action: str | None = None
    call_count: int | None = None
    client_request_id: str | None = None
    error_details: ErrorDetails | None = None
    details: dict[str, Leg] = Field(default_factory=dict)

    @property
    def legs(self) -> dict[str, Leg]:
        """Legs keyed `callA`, `callB`, ... whatever the case the platform used (`CallA`, A31)."""
        return {key[:1].lower() + key[1:]: leg for key, leg in sorted(self.details.items())}


class SessionSummaryEvent(_Envelope):
    """VSS: the authoritative outcome of a session, sent once when it ends."""

    event_type: Literal["SESSION_SUMMARY"]
    payload: SessionSummaryPayload
    version: int | None = None


class RecordingStatusPayload(Inbound):
    session_id: str | None = None
    recording_id: str | None = None
    duration_seconds: int | None = None
    file_path: str | None = None
    status: str | None = None


class RecordingStatusEvent(_Envelope):
    """VRU: a call recording was uploaded."""

    event_type: Literal["CALL_RECORDING_STATUS"]
    payload: RecordingStatusPayload


class NumberUpdate(Inbound):
    msisdn: str | None = None
    updated_timestamp: str | None = None
    country_code: str | None = None
    operational_status: str | None = None
    reference_id: str | None = None
    update_status: str | None = None


class VirtualNumberUpdatePayload(Inbound):
    sub_account_id: str | None = None
    total_numbers: int | None = None
    update_event_type: str | None = None
    virtual_numbers: list[NumberUpdate] = Field(default_factory=list)


class VirtualNumberUpdateEvent(_Envelope):
    """VNU: the subaccount's virtual numbers changed."""

    event_type: Literal["VIRTUAL_NUMBER_UPDATE"]
    payload: VirtualNumberUpdatePayload


WebhookEvent = Annotated[
    CallActionEvent
    | CallStatusEvent
    | SessionSummaryEvent
    | RecordingStatusEvent
    | VirtualNumberUpdateEvent,
    Field(discriminator="event_type"),
]
"""Any event the platform documents, told apart by `eventType`."""

_EVENT_ADAPTER: TypeAdapter[WebhookEvent] = TypeAdapter(WebhookEvent)


def parse_event(data: Any) -> WebhookEvent:
    """Parse a webhook body (decoded JSON, or JSON text/bytes) into its event type.

    Raises ``pydantic.ValidationError`` naming the field for a wrong shape, including an
    `eventType` ivrkit does not know (check :func:`event_type_of` first to tell those apart).
    """
    if isinstance(data, str | bytes | bytearray):
        return _EVENT_ADAPTER.validate_json(data)
    return _EVENT_ADAPTER.validate_python(data)


def event_type_of(data: object) -> str | None:
    """The `eventType` of a decoded body, or None when it has none."""
    if isinstance(data, dict):
        value = data.get("eventType")
        return value if isinstance(value, str) else None
    return None


def is_known_event_type(name: str | None) -> bool:
    return name in EventType.__members__
