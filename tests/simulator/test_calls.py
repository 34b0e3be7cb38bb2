"""Whole calls over real HTTP: the simulator drives a vendor-style backend through each path."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ivrkit._serving import free_port
from ivrkit.simulator import SimulatorConfig
from ivrkit.wire import CallActionEvent, CallStatusEvent, SessionSummaryEvent, parse_event
from tests.conftest import load_fixture
from tests.simulator.conftest import AGENT, CUSTOMER, SECRET, Backend, World, make_world

WHOLE_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MILLISECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def summary_of(world: World, session_id: str) -> SessionSummaryEvent:
    event = parse_event(world.summary(session_id))
    assert isinstance(event, SessionSummaryEvent)
    return event


def actions(world: World) -> list[CallActionEvent]:
    events = [parse_event(body) for body in world.backend.vca]
    assert all(isinstance(event, CallActionEvent) for event in events)
    return events  # type: ignore[return-value]


def test_pressing_1_hangs_up(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert (summary.session_status, summary.last_action, summary.call_count) == (
        "COMPLETED",
        "HANGUP",
        1,
    )
    assert view.state == "ended" and view.status == "COMPLETED"
    [vca] = actions(world)
    assert vca.payload.call_status == "ACTION_COMPLETED"
    assert vca.payload.digits == "1"
    assert world.backend.vca[0]["payload"]["eventData"] == {"dtmf": "1"}
    assert "clientActionId" not in world.backend.vca[0]["payload"]
    assert vca.payload.session_id == view.session_id
    assert vca.payload.call_direction == "OUTBOUND"
    assert (vca.payload.source, vca.payload.destination) == (AGENT, CUSTOMER)
    assert vca.payload.source_ref_id == "virtual-number-trunk-01"
    assert vca.payload.source_country_code == "SG"
    assert vca.payload.timestamp and MILLISECONDS.match(vca.payload.timestamp)
    assert world.backend.auth == [SECRET, SECRET]  # VCA and VSS carry the configured header


def test_pressing_2_bridges_an_agent_until_the_caller_hangs_up(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["2"], hangup_after=30)
    world.ctl.set_phone(AGENT, hangup_after=100)
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert (summary.session_status, summary.last_action, summary.call_count) == (
        "COMPLETED",
        "MAKE_CALL",
        2,
    )
    legs = summary.legs
    assert set(legs) == {"callA", "callB"}
    call_b = legs["callB"]
    assert (call_b.source, call_b.destination) == (CUSTOMER, AGENT)
    assert call_b.call_status == "COMPLETED" and 0 < (call_b.call_duration or 0) < 30
    assert call_b.call_quality is not None and call_b.connected_timestamp is not None
    assert legs["callA"].disconnected_timestamp == call_b.disconnected_timestamp
    assert any(e.kind == "leg" and e.event == "bridged" for e in view.entries)


def test_when_the_agent_hangs_up_first_the_platform_asks_the_backend_again(
    world: World,
) -> None:
    world.ctl.set_phone(CUSTOMER, press=["2", "1"])
    world.ctl.set_phone(AGENT, hangup_after=5)
    view = world.call()
    events = actions(world)
    assert [event.digits for event in events] == ["2", None, "1"]
    summary = summary_of(world, view.session_id).payload
    assert (summary.last_action, summary.call_count) == ("HANGUP", 2)
    assert summary.legs["callB"].call_duration == 5
    assert summary.legs["callA"].call_status == "COMPLETED"


def test_unknown_digit_repeats_the_menu_then_1_hangs_up(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["9", "1"])
    view = world.call()
    assert [event.digits for event in actions(world)] == ["9", "1"]
    prompts = [e.text for e in view.entries if e.kind == "spoken" and e.purpose == "prompt"]
    assert len(prompts) == 2 and prompts[1].startswith("Sorry, we did not understand")
    assert summary_of(world, view.session_id).payload.last_action == "HANGUP"


def test_no_input_reports_null_after_every_try(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["", "", "1"])
    view = world.call()
    first = world.backend.vca[0]["payload"]
    assert first["eventData"] == {"dtmf": None}
    failures = [e for e in view.entries if e.kind == "spoken" and e.purpose == "failure"]
    assert [f.text for f in failures] == ["Invalid input, please try again"] * 2
    captures = [e for e in view.entries if e.kind == "captured"]
    assert [(c.attempt, c.dtmf, c.ended_by) for c in captures[:2]] == [
        (1, None, "overall-timeout"),
        (2, None, "overall-timeout"),
    ]
    assert [event.digits for event in actions(world)] == [None, "1"]


def test_keys_beyond_max_digits_are_ignored(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["12"])
    view = world.call()
    [capture] = [e for e in view.entries if e.kind == "captured"]
    assert (capture.dtmf, capture.ignored, capture.ended_by) == ("1", "2", "max-digits")
    assert [event.digits for event in actions(world)] == ["1"]


def test_legacy_dtmf_placement(serve_sim: Any, backend_server: tuple[Backend, str]) -> None:
    url = serve_sim(SimulatorConfig(legacy_dtmf=True))
    world_iter = make_world(url, backend_server)
    world = next(world_iter)
    world.ctl.set_phone(CUSTOMER, press=["1"])
    world.call()
    payload = world.backend.vca[0]["payload"]
    assert payload["dtmf"] == "1" and payload["callStatus"] == "DTMF_RECEIVED"
    assert "eventData" not in payload
    world_iter.close()


@pytest.mark.parametrize(
    ("answer", "status"), [("busy", "BUSY"), ("no-answer", "NO_ANSWER"), ("fail", "FAILED")]
)
def test_agent_not_reached(world: World, answer: str, status: str) -> None:
    world.ctl.set_phone(CUSTOMER, press=["2"])
    world.ctl.set_phone(AGENT, answer=answer)
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert summary.session_status == status
    legs = summary.legs
    assert (legs["callA"].call_status, legs["callB"].call_status) == ("COMPLETED", status)
    assert legs["callB"].connected_timestamp is None and legs["callB"].call_quality is None
    assert legs["callB"].call_duration == 0


@pytest.mark.parametrize("answer", ["busy", "no-answer", "fail"])
def test_customer_not_reached(world: World, answer: str) -> None:
    world.ctl.set_phone(CUSTOMER, answer=answer)
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert (
        summary.session_status
        == {"busy": "BUSY", "no-answer": "NO_ANSWER", "fail": "FAILED"}[answer]
    )
    assert summary.call_count == 1 and summary.last_action == "MAKE_CALL"
    assert world.backend.vca == []


def test_caller_hangs_up_mid_menu(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, hangup_after=3)
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert (summary.session_status, summary.last_action) == ("COMPLETED", "SAY_AND_CAPTURE")
    assert summary.legs["callA"].call_status == "COMPLETED"
    assert summary.legs["callA"].call_duration == 3
    assert world.backend.vca == []


def test_caller_hangs_up_while_the_agent_rings(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["2"], hangup_after=15)
    world.ctl.set_phone(AGENT, ring_seconds=20)
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert summary.session_status == "CANCELED"
    assert {leg.call_status for leg in summary.legs.values()} == {"CANCELED"}


def test_a_failed_delivery_is_retried_with_the_same_event_id(world: World) -> None:
    world.backend.fail_first = 1
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    ids = [body["payload"]["eventId"] for body in world.backend.vca]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert summary_of(world, view.session_id).payload.session_status == "COMPLETED"
    attempts = [
        (e.attempt, e.status) for e in view.entries if e.kind == "webhook" and e.type == "VCA"
    ]
    assert attempts == [(1, 500), (2, 200)]


def test_a_backend_that_always_fails_ends_in_error(world: World) -> None:
    world.backend.always_fail = True
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert summary.session_status == "ERROR"
    assert summary.error_details is not None and summary.error_details.code == -2002
    assert summary.error_details.error_msg == "An internal connectivity error has occurred"
    assert summary.legs["callA"].call_status == "ERROR"
    assert len(world.backend.vca) == 3


def test_an_unreachable_backend_ends_in_error(world: World) -> None:
    world.api.post("/webhooks", json={"type": "VCA", "url": f"http://127.0.0.1:{free_port()}/x"})
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    details = summary_of(world, view.session_id).payload.error_details
    assert details is not None and details.code == -2002
    errors = [e.error for e in view.entries if e.kind == "webhook" and e.type == "VCA"]
    assert len(errors) == 3 and all(error and "could not connect" in error for error in errors)


@pytest.mark.parametrize(
    "answer",
    [
        {"callflow": [{"action": "dance"}]},
        {"callflow": [{"action": "hangup"}, {"action": "hangup"}]},
        "not json at all",
    ],
)
def test_an_invalid_answer_ends_in_error_2003(world: World, answer: Any) -> None:
    world.backend.answer = answer
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert summary.session_status == "ERROR"
    assert summary.error_details is not None and summary.error_details.code == -2003
    assert summary.error_details.error_msg == "The call flow provided is invalid"


def test_client_action_id_comes_back_in_the_next_call_action(world: World) -> None:
    world.backend.action_ids = True
    world.ctl.set_phone(CUSTOMER, press=["9", "9", "1"])
    world.call()
    ids = [body["payload"].get("clientActionId") for body in world.backend.vca]
    assert ids == [None, "menu-1", "menu-2"]


def test_a_callflow_that_runs_out_asks_with_null_digits(world: World) -> None:
    body = load_fixture("request_simple_ivr_initial.json")
    body["callflow"][1] = {
        "action": "say",
        "params": {"text": "Your parcel is on its way.", "voiceProfile": "en-US-ZiraRUS"},
    }
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call(body)
    first = world.backend.vca[0]["payload"]
    assert first["callStatus"] == "ACTION_COMPLETED" and first["eventData"] == {"dtmf": None}
    spoken = [e.text for e in view.entries if e.kind == "spoken"]
    assert spoken[0] == "Your parcel is on its way."


def test_summary_shape_and_client_request_id(world: World) -> None:
    body = load_fixture("request_simple_ivr_initial.json")
    body["clientRequestId"] = "Request-Id-Client-Confirmation-1200"
    world.ctl.set_phone(CUSTOMER, press=["2"])
    view = world.call(body)
    raw = world.summary(view.session_id)
    assert raw["version"] == 5 and raw["namespace"] == "VOICE"
    assert raw["description"] == "Summary of a completed call session"
    payload = summary_of(world, view.session_id).payload
    assert payload.client_request_id == "Request-Id-Client-Confirmation-1200"
    assert payload.start_time and WHOLE_SECONDS.match(payload.start_time)
    assert payload.end_time and WHOLE_SECONDS.match(payload.end_time)
    assert payload.start_time <= payload.end_time
    for leg in payload.legs.values():
        assert leg.call_id and UUID.match(leg.call_id)
        for stamp in (leg.initiated_timestamp, leg.connected_timestamp, leg.disconnected_timestamp):
            assert stamp and WHOLE_SECONDS.match(stamp)
        assert leg.source_format == leg.destination_format == "MSISDN"
        assert leg.source and leg.source.startswith("+")
    assert payload.end_time == payload.legs["callA"].disconnected_timestamp
    assert "errorDetails" not in raw["payload"]
    assert view.summary is not None and view.summary.payload.session_id == view.session_id


def test_call_status_events_when_a_vcs_webhook_is_registered(world: World) -> None:
    world.register("VCS", "/vcs")
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    events = [parse_event(body) for body in world.backend.vcs]
    statuses = [
        e.payload.call_status
        for e in events
        if isinstance(e, CallStatusEvent) and e.payload.session_id == view.session_id
    ]
    assert statuses == ["CALL_INITIATED", "CALL_CONNECTED", "DTMF_RECEIVED", "CALL_DISCONNECTED"]
    assert all(body["eventType"] == "CALL_STATUS" for body in world.backend.vcs)


def test_no_call_status_events_without_a_vcs_webhook(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["1"])
    world.call()
    assert world.backend.vcs == []


def test_inbound_call_starts_with_call_received(world: World) -> None:
    caller = "+6598765432"
    world.ctl.set_phone(caller, press=["1"])
    session_id = world.ctl.inbound_call(caller, "6561115777")
    view = world.ctl.wait_for_end(session_id, timeout=10)
    first = world.backend.vca[0]
    assert first["payload"]["callStatus"] == "CALL_RECEIVED"
    assert first["payload"]["callDirection"] == "INBOUND"
    assert first["payload"]["destinationRefId"] == "virtual-number-trunk-01"
    assert (first["payload"]["source"], first["payload"]["destination"]) == (caller, AGENT)
    assert "clientActionId" not in first["payload"] and "eventData" not in first["payload"]
    assert first["payload"]["callDuration"] == 0 and first["payload"]["sipCode"] == 200
    summary = summary_of(world, view.session_id).payload
    assert summary.legs["callA"].call_direction == "INBOUND"
    assert summary.session_status == "COMPLETED" and summary.last_action == "HANGUP"


def test_many_sessions_at_once(world: World) -> None:
    numbers = [f"+65900000{i:02d}" for i in range(8)]
    session_ids = []
    for number in numbers:
        world.ctl.set_phone(number, press=["9", "1"])
        body = load_fixture("request_simple_ivr_initial.json")
        body["callflow"][0]["params"]["destination"] = number
        session_ids.append(world.send(body).json()["sessionId"])
    views = [world.ctl.wait_for_end(session_id, timeout=10) for session_id in session_ids]
    assert len(set(session_ids)) == len(numbers)
    assert all(view.status == "COMPLETED" for view in views)
    assert sorted(e["payload"]["sessionId"] for e in world.backend.vss) == sorted(session_ids)
    assert len(world.backend.vca) == 2 * len(numbers)


def test_caller_hangs_up_during_the_second_prompt(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["9"], hangup_during_prompt=2)
    view = world.call()
    summary = summary_of(world, view.session_id).payload
    assert (summary.session_status, summary.last_action) == ("COMPLETED", "SAY_AND_CAPTURE")
    assert [event.digits for event in actions(world)] == ["9"]
    assert any(e.kind == "note" and "during prompt 2" in e.text for e in view.entries)


@pytest.mark.parametrize(("counts", "reported"), [("prompts", ["1"]), ("captures", [None, "1"])])
def test_press_entries_count_prompts_or_whole_captures(
    world: World, counts: str, reported: list[str | None]
) -> None:
    """`noOfTries: 2`: by prompts, the second entry is pressed at the capture's second try; by
    captures, the first (a silence) holds for both tries and the second answers the next menu."""
    url = f"{world.url}/sim/v1/phones/{CUSTOMER}"
    script = {"press": ["", "1"], "counts": counts}
    assert world.api.put(url, json=script).status_code == 200
    view = world.call()
    assert view.status == "COMPLETED"
    assert [event.digits for event in actions(world)] == reported


def test_hanging_up_during_a_capture_counts_whole_captures(world: World) -> None:
    url = f"{world.url}/sim/v1/phones/{CUSTOMER}"
    script = {"press": [""], "counts": "captures", "hangupDuringPrompt": 2}
    assert world.api.put(url, json=script).status_code == 200
    view = world.call()
    assert [event.digits for event in actions(world)] == [None]
    # the first capture's two tries, then the first prompt of the second capture
    assert any(e.kind == "note" and "during prompt 3" in e.text for e in view.entries)
