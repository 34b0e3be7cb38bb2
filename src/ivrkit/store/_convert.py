"""Conversions between wire values, table rows and store records; lenient about what arrives."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping

from ivrkit.store._records import (
    IN_PROGRESS,
    Delivery,
    LegRecord,
    SessionRecord,
    SessionUpdate,
)
from ivrkit.wire._events import Leg

_INT64 = 2**63 - 1


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from a payload as an aware UTC datetime; None when absent or unreadable.

    Summaries give whole seconds (``2026-01-13T08:26:58Z``), events milliseconds; a time without
    an offset is taken as UTC. Never raises: a bad timestamp must not cost a summary.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)  # as the platform sends them: no spaces around
    except ValueError:
        stripped = value.strip()
        if not stripped or stripped == value:
            return None
        try:
            parsed = datetime.fromisoformat(stripped)
        except ValueError:
            return None
    if parsed.tzinfo is UTC:
        return parsed
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # an offset that pushes the time out of range
        return None


def int64(value: object) -> int | None:
    """An integer the database can hold, else None (a column must not reject a summary)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if -_INT64 <= value <= _INT64 else None


def real(value: object) -> float | None:
    """A finite float, else None: ``1e400`` arrives as infinity, which no column should hold."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def storable_json(value: Any) -> Any:
    """``value`` as every database's JSON column can keep it: non-finite floats become None
    (JSON has no Infinity or NaN, and PostgreSQL's jsonb refuses them) and NUL characters
    become U+FFFD (jsonb refuses them too). The raw body keeps what was sent."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(str(key)): storable_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    return value


def storable_json_text(value: Any, raw: str) -> str:
    """The JSON text of :func:`storable_json` of a value parsed from the JSON text ``raw``, as a
    JSON column's own serializer (``json.dumps``) writes it: encoded once, without walking the
    value first, when nothing in it can need changing (no NUL in the text, as a character or an
    escape, and every number finite: the encode refuses the others)."""
    if "\x00" not in raw and "\\u0000" not in raw:
        try:
            return json.dumps(value, allow_nan=False)
        except ValueError:
            pass
    return json.dumps(storable_json(value))


def storable_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`storable_json` of a delivery's headers (text to text: one pass, no recursion)."""
    return {
        storable_text(str(key)): storable_text(value)
        if isinstance(value, str)
        else storable_json(value)
        for key, value in headers.items()
    }


def storable_text(text: str) -> str:
    """``text`` without NUL characters, which PostgreSQL's jsonb refuses."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def variable_rows(session_id: str, values: Mapping[str, str]) -> list[dict[str, Any]]:
    """The ``ivrkit_variables`` upsert rows of a session's variables."""
    return [{"session_id": session_id, "name": k, "value": v} for k, v in values.items()]


def leg_values(session_id: str, name: str, leg: Leg) -> dict[str, Any]:
    """The ``ivrkit_legs`` row of one leg of the summary of session ``session_id`` (the
    statement finds the summary's id by its session)."""
    quality = leg.call_quality
    return {
        "session_id": session_id,
        "name": name,
        "call_id": leg.call_id,
        "direction": leg.call_direction,
        "call_type": leg.call_type,
        "status": leg.call_status,
        "source": leg.source,
        "destination": leg.destination,
        "initiated_at": parse_time(leg.initiated_timestamp),
        "connected_at": parse_time(leg.connected_timestamp),
        "disconnected_at": parse_time(leg.disconnected_timestamp),
        "duration_seconds": int64(leg.call_duration),
        "mos": real(quality.mos) if quality else None,
        "packet_loss_rate": real(quality.packet_loss_rate) if quality else None,
        "jitter": real(quality.jitter) if quality else None,
    }


def customer_of(leg: Leg | None) -> str | None:
    """The customer's number of leg A: whom we called (OUTBOUND) or who called us (INBOUND)."""
    if leg is None:
        return None
    if leg.call_direction == "OUTBOUND":
        return leg.destination
    if leg.call_direction == "INBOUND":
        return leg.source
    return None


def delivery_values(delivery: Delivery) -> dict[str, Any]:
    """The ``ivrkit_deliveries`` row of a delivery (without id and answered_event_id)."""
    return {
        "channel": delivery.channel,
        "received_at": delivery.received_at,
        "body": delivery.body,
        "headers": storable_headers(delivery.headers),
        "http_status": delivery.http_status,
        "answer": delivery.answer,
        "outcome": delivery.outcome,
        "note": delivery.note,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "session_id": delivery.session_id,
        "version": delivery.version,
        "latency_ms": delivery.latency_ms,
    }


def step_values(update: SessionUpdate) -> dict[str, Any] | None:
    """The ``ivrkit_path_steps`` row of what one answer did; None when it tells no step (no tree
    answered, or the tree's fallback did: it heard nothing and passed no node)."""
    if update.version is None or update.flow is None:
        return None
    if update.heard is None and not update.passed:
        return None
    return {
        "session_id": update.session_id,
        "at": update.at,
        "flow": update.flow,
        "version": update.version,
        "heard": update.heard,
        "replay": update.replay,
        "digits": update.digits,
        "route": update.route,
        "route_value": update.route_value,
        "led_to": update.led_to,
        "passed": update.passed,
        "more_routes": update.more_routes,
        "label": update.outcome,
        "label_transfer": int(update.label_transfer),
    }


def session_values(update: SessionUpdate, now: datetime) -> dict[str, Any]:
    """The ``ivrkit_sessions`` upsert parameters of what one CALL_ACTION tells."""
    return {
        "session_id": update.session_id,
        "status": IN_PROGRESS,
        "direction": update.direction,
        "sub_account_id": update.sub_account_id,
        "customer": update.customer,
        "flow": update.flow,
        "node": update.node,
        "answer_last_action": update.last_action,
        "outcome": update.outcome,
        "first_version": update.version,
        "last_version": update.version,
        "started_at": update.at,
        "updated_at": now,
    }


def digits_values(update: SessionUpdate) -> dict[str, Any]:
    return {"session_id": update.session_id, "digits": update.digits, "at": update.at}


def delivery_from_row(row: RowMapping) -> Delivery:
    headers = row["headers"]
    return Delivery(
        channel=row["channel"],
        received_at=row["received_at"],
        body=row["body"],
        headers={str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {},
        http_status=row["http_status"],
        answer=row["answer"],
        outcome=row["outcome"],
        note=row["note"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        session_id=row["session_id"],
        id=row["id"],
        latency_ms=row["latency_ms"],
        version=row["version"],
    )


def session_from_row(row: RowMapping, digits: Sequence[str]) -> SessionRecord:
    started: datetime | None = row["started_at"]
    ended: datetime | None = row["ended_at"]
    return SessionRecord(
        session_id=row["session_id"],
        status=row["status"],
        direction=row["direction"],
        sub_account_id=row["sub_account_id"],
        customer=row["customer"],
        flow=row["flow"],
        node=row["node"],
        last_action=row["summary_last_action"] or row["answer_last_action"],
        digits=list(digits),
        started_at=started,
        ended_at=ended,
        duration_seconds=(ended - started).total_seconds() if started and ended else None,
        call_count=row["call_count"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        client_request_id=row["client_request_id"],
        request_id=row["request_id"],
        outcome_label=row["outcome"],
        first_version=row["first_version"],
        last_version=row["last_version"],
    )


def leg_from_row(row: RowMapping) -> LegRecord:
    return LegRecord(
        name=row["name"],
        call_id=row["call_id"],
        direction=row["direction"],
        status=row["status"],
        source=row["source"],
        destination=row["destination"],
        initiated=row["initiated_at"],
        connected=row["connected_at"],
        disconnected=row["disconnected_at"],
        duration_seconds=row["duration_seconds"],
        mos=row["mos"],
        packet_loss_rate=row["packet_loss_rate"],
        jitter=row["jitter"],
        call_type=row["call_type"],
    )
