"""Recording session summaries: legs, duplicates, summaries before any event, lenient times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ivrkit.store import IN_PROGRESS, LegRecord, Store, SummaryWrite
from ivrkit.store import _projector as projector
from ivrkit.wire import SessionSummaryEvent
from tests.conftest import load_fixture
from tests.store.helpers import (
    T0,
    later,
    summary_delivery,
    summary_event,
    vca_delivery,
    vca_event,
    vca_update,
)

BRIDGE = "vss_ivr_scenario1_bridge_completed.json"
BRIDGE_SESSION = "a089b40d-f059-11f0-8937-99c7872ee3c4"


def test_a_bridged_summary_closes_the_session_with_both_legs(store: Store) -> None:
    event = summary_event(BRIDGE)
    at = datetime(2026, 1, 13, 8, 27, 34, tzinfo=UTC)

    assert store.record_summary(summary_delivery(event, at=at), event) is True

    summary = store.summary(BRIDGE_SESSION)
    assert summary is not None
    assert summary.session_status == "COMPLETED"
    assert summary.version == 5
    assert summary.received_at == at
    assert summary.payload == load_fixture(BRIDGE)["payload"]
    assert [leg.name for leg in summary.legs] == ["callA", "callB"]
    assert summary.legs[0] == LegRecord(
        name="callA",
        call_id="a08f331e-f059-11f0-816b-2daade7d6599",
        direction="OUTBOUND",
        status="COMPLETED",
        source="+6568332048",
        destination="+6591178965",
        initiated=datetime(2026, 1, 13, 8, 26, 58, tzinfo=UTC),
        connected=datetime(2026, 1, 13, 8, 27, 9, tzinfo=UTC),
        disconnected=datetime(2026, 1, 13, 8, 27, 33, tzinfo=UTC),
        duration_seconds=23,
        mos=4.5,
        packet_loss_rate=0.0,
        jitter=20.0,
        call_type="PSTN",
    )
    assert summary.legs[1].duration_seconds == 6
    assert summary.legs[1].destination == "+6531589338"

    session = store.session(BRIDGE_SESSION)
    assert session is not None
    assert session.status == "COMPLETED"
    assert session.last_action == "MAKE_CALL"
    assert session.call_count == 2
    assert session.client_request_id == "Request-Id-Client-Confirmation-1200"
    assert session.started_at == datetime(2026, 1, 13, 8, 26, 58, tzinfo=UTC)
    assert session.ended_at == datetime(2026, 1, 13, 8, 27, 33, tzinfo=UTC)
    assert session.duration_seconds == 35.0
    assert (session.error_code, session.error_message) == (None, None)

    (delivery,) = store.deliveries(BRIDGE_SESSION)
    assert delivery.outcome == "summary"
    assert delivery.channel == "vss"


def test_leg_keys_in_any_case_become_callA(store: Store) -> None:
    event = summary_event("vss_vm_success.json")  # details.CallA
    store.record_summary(summary_delivery(event), event)
    summary = store.summary(event.payload.session_id)
    assert summary is not None
    assert [leg.name for leg in summary.legs] == ["callA"]
    assert summary.legs[0].duration_seconds == 13
    assert summary.payload["details"]["CallA"]["SourceRefId"] == "null"


def test_legs_are_listed_callA_first_whatever_the_payload_order(store: Store) -> None:
    event = summary_event("vss_nm_success_bridge.json")  # callB before callA
    store.record_summary(summary_delivery(event), event)
    summary = store.summary(event.payload.session_id)
    assert summary is not None
    assert [(leg.name, leg.direction) for leg in summary.legs] == [
        ("callA", "INBOUND"),
        ("callB", "OUTBOUND"),
    ]
    session = store.session(event.payload.session_id)
    assert session is not None
    assert session.direction == "INBOUND"
    assert session.customer == "+12314377870"


def test_an_error_summary_keeps_the_error_and_an_unanswered_leg(store: Store) -> None:
    event = summary_event("vss_vm_failure_error_minus2004.json")
    store.record_summary(summary_delivery(event), event)
    session = store.session(event.payload.session_id)
    assert session is not None
    assert session.status == "ERROR"
    assert session.error_code == -2004
    assert session.error_message == "No coverage available for requested area"
    assert session.duration_seconds == 0.0
    summary = store.summary(event.payload.session_id)
    assert summary is not None
    (leg,) = summary.legs
    assert (leg.connected, leg.mos, leg.jitter, leg.status) == (None, None, None, "ERROR")


def test_a_second_summary_is_a_duplicate_and_the_first_is_kept(store: Store) -> None:
    first = summary_event(BRIDGE)
    second = summary_event(BRIDGE, sessionStatus="ERROR", lastAction="HANGUP", callCount=1)

    assert store.record_summary(summary_delivery(first), first) is True
    assert store.record_summary(summary_delivery(second), second) is False

    summary = store.summary(BRIDGE_SESSION)
    assert summary is not None
    assert summary.session_status == "COMPLETED"
    assert len(summary.legs) == 2
    session = store.session(BRIDGE_SESSION)
    assert session is not None
    assert (session.status, session.last_action, session.call_count) == (
        "COMPLETED",
        "MAKE_CALL",
        2,
    )
    assert [d.outcome for d in store.deliveries(BRIDGE_SESSION)] == ["summary", "duplicate"]
    assert store.deliveries(BRIDGE_SESSION)[1].note


def test_a_summary_before_any_event_creates_the_session_and_events_after_it_add_to_it(
    store: Store,
) -> None:
    summary = summary_event(BRIDGE)
    store.record_summary(summary_delivery(summary), summary)
    late = vca_event(event_id="late", session_id=BRIDGE_SESSION, digits="2", timestamp=later(-60))
    store.record_vca(vca_delivery(late), vca_update(late, node="agent", last_action="HANGUP"))

    session = store.session(BRIDGE_SESSION)
    assert session is not None
    assert session.status == "COMPLETED"
    assert session.last_action == "MAKE_CALL"
    assert session.started_at == T0
    assert session.node == "agent"
    assert session.digits == ["2"]
    assert session.customer == "+6591178965"


def test_the_summary_takes_over_from_the_events(store: Store) -> None:
    event = vca_event(session_id=BRIDGE_SESSION, timestamp=later(15))
    store.record_vca(vca_delivery(event), vca_update(event, last_action="SAY_AND_CAPTURE"))
    session = store.session(BRIDGE_SESSION)
    assert session is not None
    assert (session.status, session.last_action, session.started_at) == (
        IN_PROGRESS,
        "SAY_AND_CAPTURE",
        later(15),
    )

    summary = summary_event(BRIDGE)
    store.record_summary(summary_delivery(summary), summary)
    session = store.session(BRIDGE_SESSION)
    assert session is not None
    assert (session.status, session.last_action, session.started_at) == (
        "COMPLETED",
        "MAKE_CALL",
        T0,
    )
    assert session.customer == "+6598888888"  # the events' party is not replaced
    assert session.digits == ["1"]


@pytest.mark.parametrize(
    ("start", "end", "started", "ended"),
    [
        ("not a time", "2026-01-13T08:27:33Z", None, datetime(2026, 1, 13, 8, 27, 33, tzinfo=UTC)),
        (None, None, None, None),
        ("", "2026-13-45T99:00:00Z", None, None),
        (
            "2026-01-13T10:26:58.250+02:00",
            "2026-01-13T08:27:33",
            datetime(2026, 1, 13, 8, 26, 58, 250000, tzinfo=UTC),
            datetime(2026, 1, 13, 8, 27, 33, tzinfo=UTC),
        ),
    ],
)
def test_summary_times_are_read_leniently(
    store: Store,
    start: str | None,
    end: str | None,
    started: datetime | None,
    ended: datetime | None,
) -> None:
    event = summary_event(BRIDGE, startTime=start, endTime=end)
    event.payload.details["callA"].connected_timestamp = "yesterday"

    assert store.record_summary(summary_delivery(event), event) is True

    session = store.session(BRIDGE_SESSION)
    assert session is not None
    assert (session.started_at, session.ended_at) == (started, ended)
    assert session.duration_seconds == (
        (ended - started).total_seconds() if started and ended else None
    )
    summary = store.summary(BRIDGE_SESSION)
    assert summary is not None
    assert summary.legs[0].connected is None


def test_a_summary_without_legs_or_version_is_stored(store: Store) -> None:
    data = load_fixture(BRIDGE)
    data["payload"]["details"] = {}
    data.pop("version")
    from ivrkit.wire._events import SessionSummaryEvent

    event = SessionSummaryEvent.from_wire(data)
    assert store.record_summary(summary_delivery(event), event) is True
    summary = store.summary(BRIDGE_SESSION)
    assert summary is not None
    assert (summary.legs, summary.version) == ([], None)


def test_summary_of_an_unknown_session_is_none(store: Store) -> None:
    assert store.summary("nobody") is None
    assert store.session("nobody") is None


def test_a_summary_with_values_no_column_can_hold_is_stored_with_them_emptied(
    store: Store,
) -> None:
    """``"mos": 1e400`` arrives as infinity and a NUL in a string is legal JSON: PostgreSQL's
    jsonb refuses both, which once left such a summary in the spool for ever. The summary is
    stored, the impossible values emptied, and the raw body keeps what was sent."""
    data = load_fixture(BRIDGE)
    data["payload"]["details"]["callA"]["callQuality"]["mos"] = float("inf")
    data["payload"]["subAccountId"] = "acme\x00"
    event = summary_event(BRIDGE, **data["payload"])
    delivery = summary_delivery(event)
    assert "Infinity" in delivery.body

    assert store.record_summary(delivery, event) is True

    summary = store.summary(BRIDGE_SESSION)
    assert summary is not None
    assert summary.legs[0].mos is None
    assert summary.payload["details"]["callA"]["callQuality"]["mos"] is None
    assert summary.payload["subAccountId"] == "acme\ufffd"
    session = store.session(BRIDGE_SESSION)
    assert session is not None and session.status == "COMPLETED"


def test_the_projector_takes_a_batch_s_parsed_summary_instead_of_parsing_it_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group commit hands each summary over parsed: the projector does not parse its body
    a second time (a body it was not given still is, as in a rebuild)."""
    given = summary_event(BRIDGE)
    other = summary_event(BRIDGE, sessionId="other-session")
    with_event = summary_delivery(given)
    store.record_delivery(summary_delivery(other))  # appended without its event
    parses: list[str] = []
    parse = SessionSummaryEvent.model_validate_json

    def counted(data: str | bytes, **kwargs: Any) -> SessionSummaryEvent:
        parses.append(str(data))
        return parse(data, **kwargs)

    monkeypatch.setattr(projector.SessionSummaryEvent, "model_validate_json", counted)

    store.record_batch([SummaryWrite(delivery=with_event, event=given)])
    store.catch_up()

    assert parses == [summary_delivery(other).body]
    for session_id in (BRIDGE_SESSION, "other-session"):
        session = store.session(session_id)
        assert session is not None and session.status == "COMPLETED"
