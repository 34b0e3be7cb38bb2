"""Faults injected through /sim/v1/faults, and keys pressed by a bridged callee, against a
vendor-style backend over real HTTP: each fault happens, as the platform would make it happen."""

from __future__ import annotations

import httpx
import pytest

from ivrkit.simulator import SimulatorControlError
from ivrkit.simulator._account.faults import FaultPlan
from ivrkit.simulator._calls.transcript import Captured, Pressed, SessionView, Spoken, WebhookSent
from ivrkit.wire import SessionSummaryPayload
from tests.simulator.conftest import AGENT, CUSTOMER, World


def sent(view: SessionView, kind: str = "VCA") -> list[WebhookSent]:
    return [e for e in view.entries if isinstance(e, WebhookSent) and e.type == kind]


def summary(world: World, session_id: str) -> SessionSummaryPayload:
    return SessionSummaryPayload.model_validate(world.summary(session_id)["payload"])


# -- a backend slower than the platform's patience ----------------------------------------------


def test_a_backend_slower_than_the_timeout_gets_the_same_event_then_2002(world: World) -> None:
    world.backend.delay = 0.4
    world.ctl.inject_faults(webhook_timeout=0.1)
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    attempts = sent(view)
    assert [(a.attempt, a.status, a.error) for a in attempts] == [
        (n, None, "no answer within 0.1s") for n in (1, 2, 3)
    ]
    assert len({body["payload"]["eventId"] for body in world.backend.vca}) == 1
    assert len(world.backend.vca) == 3, "each attempt reached the backend"
    payload = summary(world, view.session_id)
    assert payload.error_details is not None and payload.error_details.error_code == -2002


def test_a_late_answer_is_retried_with_the_same_event_id(world: World) -> None:
    world.ctl.inject_faults(late_answers=1)
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    attempts = sent(view)
    assert [(a.attempt, a.status, a.injected) for a in attempts] == [
        (1, 200, "late-answer"),
        (2, 200, None),
    ]
    assert attempts[0].event_id == attempts[1].event_id
    assert summary(world, view.session_id).session_status == "COMPLETED"
    assert world.ctl.faults().late_answers == 0, "the fault is used up"


def test_answers_always_late_end_in_2002(world: World) -> None:
    world.ctl.inject_faults(late_answers=3)
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    assert [a.injected for a in sent(view)] == ["late-answer"] * 3
    payload = summary(world, view.session_id)
    assert payload.error_details is not None and payload.error_details.error_code == -2002


# -- duplicated and out-of-order deliveries ------------------------------------------------------


def test_a_duplicated_delivery_sends_the_same_bytes_twice(world: World) -> None:
    world.ctl.inject_faults(duplicates=1)
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    first, copy = sent(view)
    assert copy.injected == "duplicate" and copy.event_id == first.event_id
    assert world.backend.vca[0] == world.backend.vca[1]
    assert first.answer_sha256 == copy.answer_sha256


def test_duplicates_can_hit_the_summary(world: World) -> None:
    world.ctl.inject_faults(webhooks=["VSS"], duplicates=1)
    world.ctl.set_phone(CUSTOMER, press=["1"])
    world.call()
    assert len(world.backend.vss) == 2 and world.backend.vss[0] == world.backend.vss[1]
    assert len(world.backend.vca) == 1


def test_an_out_of_order_copy_arrives_after_the_next_event(world: World) -> None:
    world.ctl.inject_faults(out_of_order=1)
    world.ctl.set_phone(CUSTOMER, press=["9", "1"])
    view = world.call()
    digits = [body["payload"]["eventData"]["dtmf"] for body in world.backend.vca]
    assert digits == ["9", "1", "9"]
    first, second, stale = sent(view)
    assert stale.injected == "out-of-order" and stale.event_id == first.event_id
    assert stale.seq > second.seq


def test_the_last_event_out_of_order_arrives_after_the_summary(world: World) -> None:
    world.ctl.inject_faults(out_of_order=1)
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    kinds = [(e.type, e.injected) for e in view.entries if isinstance(e, WebhookSent)]
    assert kinds == [("VCA", None), ("VSS", None), ("VCA", "out-of-order")]


# -- digits pressed late, a hang-up while a webhook is in flight ---------------------------------


def test_digits_pressed_after_the_timeout_are_ignored(world: World) -> None:
    world.ctl.inject_faults(late_digits=1)
    world.ctl.set_phone(CUSTOMER, press=["1", "1"])
    view = world.call()
    tries = [(c.attempt, c.dtmf, c.ignored) for c in view.entries if isinstance(c, Captured)]
    assert tries == [(1, None, "1"), (2, "1", "")]
    assert [body["payload"]["eventData"]["dtmf"] for body in world.backend.vca] == ["1"]


def test_late_digits_on_every_try_report_no_input(world: World) -> None:
    world.ctl.inject_faults(late_digits=2)
    world.ctl.set_phone(CUSTOMER, press=["1", "1", "1"])
    world.call()
    digits = [body["payload"]["eventData"]["dtmf"] for body in world.backend.vca]
    assert digits == [None, "1"]


def test_a_hang_up_while_the_webhook_is_in_flight_ends_the_call(world: World) -> None:
    world.backend.delay = 0.5
    world.ctl.inject_faults(hangup_in_flight=1)
    world.ctl.set_phone(CUSTOMER, press=["9"])
    view = world.call()
    payload = summary(world, view.session_id)
    assert (payload.session_status, payload.last_action) == ("COMPLETED", "SAY_AND_CAPTURE")
    assert len(world.backend.vca) == 1
    [vca] = sent(view)
    assert vca.status == 200, "the answer still came, and was thrown away"
    prompts = [e for e in view.entries if isinstance(e, Spoken) and e.purpose == "prompt"]
    assert len(prompts) == 1, "the answer's menu was never played"
    [vss] = sent(view, "VSS")
    assert vss.seq < vca.seq, "the summary went out while the answer was still awaited"


# -- the control API ---------------------------------------------------------------------------


def test_faults_are_listed_cleared_and_forgotten_at_reset(world: World) -> None:
    plan = world.ctl.inject_faults(duplicates=2, webhooks=["VCA", "VSS"])
    assert plan == world.ctl.faults()
    raw = httpx.get(f"{world.url}/sim/v1/faults").json()
    assert raw["duplicates"] == 2 and raw["webhooks"] == ["VCA", "VSS"]
    world.ctl.clear_faults()
    assert world.ctl.faults() == FaultPlan()
    world.ctl.inject_faults(late_digits=1)
    world.ctl.reset()
    assert world.ctl.faults() == FaultPlan()


@pytest.mark.parametrize(
    "body",
    [{"lateAnswers": -1}, {"webhooks": ["SMS"]}, {"webhookTimeout": 0}, {"duplicates": 1e9}],
)
def test_bad_faults_are_refused(world: World, body: dict[str, object]) -> None:
    response = httpx.put(f"{world.url}/sim/v1/faults", json=body)
    assert response.status_code == 400
    assert world.ctl.faults() == FaultPlan()


def test_faults_add_up(world: World) -> None:
    world.ctl.add_faults(duplicates=1)
    plan = world.ctl.add_faults(duplicates=2, webhooks=["VSS"], webhook_timeout=3)
    assert (plan.duplicates, plan.webhooks, plan.webhook_timeout) == (3, ["VCA", "VSS"], 3)
    with pytest.raises(SimulatorControlError, match="no such fault"):
        world.ctl.add_faults(typo=1)


def test_settings_are_changed_one_field_at_a_time(world: World) -> None:
    world.ctl.change_settings(trunk_capacity=3)
    world.ctl.change_settings(dial_delay=2)
    settings = world.ctl.settings()
    assert (settings.trunk_capacity, settings.dial_delay) == (3, 2)
    world.ctl.change_settings(trunk_capacity=None)
    assert world.ctl.settings().trunk_capacity is None
    with pytest.raises(SimulatorControlError, match="400"):
        world.ctl.change_settings(covered_countries=["Singapore"])
    with pytest.raises(SimulatorControlError, match="no such setting"):
        world.ctl.change_settings(capacity=1)
    world.ctl.reset()
    assert world.ctl.settings().dial_delay == 0


# -- keys pressed by the bridged callee --------------------------------------------------------


def test_keys_the_bridged_callee_presses_reach_no_capture(world: World) -> None:
    world.register("VCS", "/vcs")
    world.ctl.set_phone(CUSTOMER, press=["2", "1"])
    world.ctl.set_phone(AGENT, press=["12#"], hangup_after=10)
    view = world.call()
    pressed = [(e.leg, e.key) for e in view.entries if isinstance(e, Pressed)]
    assert pressed == [
        ("callA", "2"),
        ("callB", "1"),
        ("callB", "2"),
        ("callB", "#"),
        ("callA", "1"),
    ]
    digits = [body["payload"]["eventData"]["dtmf"] for body in world.backend.vca]
    assert digits == ["2", None, "1"], "the callee's keys are not the caller's answer"
    call_b = summary(world, view.session_id).legs["callB"]
    dtmf_b = [
        body["payload"]
        for body in world.backend.vcs
        if body["payload"]["callStatus"] == "DTMF_RECEIVED"
        and body["payload"]["callId"] == call_b.call_id
    ]
    assert len(dtmf_b) == 3, "one CALL_STATUS DTMF_RECEIVED per key of leg B"


def test_a_callee_who_presses_nothing_talks_until_hanging_up(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["2", "1"])
    world.ctl.set_phone(AGENT, hangup_after=5)
    view = world.call()
    assert not [e for e in view.entries if isinstance(e, Pressed) and e.leg == "callB"]
    assert summary(world, view.session_id).legs["callB"].call_duration == 5
