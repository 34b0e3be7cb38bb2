"""The fields of a CALL_ACTION that its answer and its record need, read from the body in one pass.

:class:`~ivrkit.wire.CallActionEvent` (pydantic) validates the whole event and keeps every field;
the webhook path needs eight of them. :func:`call_action_fields` decodes exactly those with
msgspec into a slotted struct, several times faster than the full model (and than ``orjson``
plus dict lookups) on the platform's payloads. It accepts a subset of what the full model
accepts, never more: every field it reads is typed as strictly as the model types it (or more
strictly), so a body it refuses is simply handed to the full model, which answers it (or says
why not) as before.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from ivrkit import wire

Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class _EventData(msgspec.Struct, rename="camel"):
    dtmf: str | None | msgspec.UnsetType = msgspec.UNSET


class _Payload(msgspec.Struct, rename="camel"):
    # What the answer and the record read ...
    event_id: Identifier
    session_id: Identifier
    call_status: str
    client_action_id: str | None = None
    call_direction: str | None = None
    source: str | None = None
    destination: str | None = None
    sub_account_id: str | None = None
    timestamp: str | None = None
    event_data: _EventData | str | None = None
    dtmf: str | None = None
    # ... and every other field the full model types, typed the same (or more strictly), so a
    # body decoded here is one the full model accepts.
    call_id: str | None = None
    call_type: str | None = None
    source_format: str | None = None
    destination_format: str | None = None
    source_country_code: str | None = None
    destination_country_code: str | None = None
    source_ref_id: str | None = None
    destination_ref_id: str | None = None
    call_duration: int | str | None = None
    sip_code: int | None = None


class _Envelope(msgspec.Struct, rename="camel"):
    event_type: str
    payload: _Payload
    namespace: str | None = None
    description: str | None = None


_DECODER = msgspec.json.Decoder(_Envelope)


class CallActionFields:
    """What one CALL_ACTION says, as far as its answer and its record need (see the module)."""

    __slots__ = (
        "call_direction",
        "call_status",
        "client_action_id",
        "destination",
        "digits",
        "event_id",
        "session_id",
        "source",
        "sub_account_id",
        "timestamp",
    )

    def __init__(
        self,
        event_id: str,
        session_id: str,
        call_status: str,
        *,
        client_action_id: str | None = None,
        call_direction: str | None = None,
        source: str | None = None,
        destination: str | None = None,
        sub_account_id: str | None = None,
        timestamp: str | None = None,
        digits: str | None = None,
    ) -> None:
        self.event_id = event_id
        self.session_id = session_id
        self.call_status = call_status
        self.client_action_id = client_action_id
        self.call_direction = call_direction
        self.source = source
        self.destination = destination
        self.sub_account_id = sub_account_id
        self.timestamp = timestamp
        self.digits = digits

    @classmethod
    def of_event(cls, event: wire.CallActionEvent) -> CallActionFields:
        """The fields of an event parsed by the full model."""
        payload = event.payload
        return cls(
            payload.event_id,
            payload.session_id,
            payload.call_status,
            client_action_id=payload.client_action_id,
            call_direction=payload.call_direction,
            source=payload.source,
            destination=payload.destination,
            sub_account_id=payload.sub_account_id,
            timestamp=payload.timestamp,
            digits=payload.digits,
        )

    @property
    def is_new_inbound_call(self) -> bool:
        return self.call_status == "CALL_RECEIVED"

    @property
    def customer(self) -> str | None:
        """The customer's number: the caller of an inbound call, the callee of an outbound one
        (as :func:`ivrkit.trees.customer_number`)."""
        if (self.call_direction or "").upper() == "INBOUND":
            return self.source
        return self.destination


def call_action_fields(body: bytes) -> CallActionFields | None:
    """The fields of a CALL_ACTION body; None when the body is anything else, or anything the
    fast decoder does not take (the full model then reads it)."""
    try:
        envelope = _DECODER.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if envelope.event_type != "CALL_ACTION":
        return None
    payload = envelope.payload
    data = payload.event_data
    # The digits wherever the platform put them: `eventData.dtmf` when set, else `dtmf` (as
    # :attr:`ivrkit.wire.CallActionPayload.digits`).
    if isinstance(data, _EventData) and not isinstance(data.dtmf, msgspec.UnsetType):
        digits = data.dtmf
    else:
        digits = payload.dtmf
    return CallActionFields(
        payload.event_id,
        payload.session_id,
        payload.call_status,
        client_action_id=payload.client_action_id,
        call_direction=payload.call_direction,
        source=payload.source,
        destination=payload.destination,
        sub_account_id=payload.sub_account_id,
        timestamp=payload.timestamp,
        digits=digits,
    )


__all__ = ["CallActionFields", "call_action_fields"]
