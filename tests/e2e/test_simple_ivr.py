"""The simple IVR, end to end: ivrkit's webhook server and the simulator over real HTTP."""

from __future__ import annotations

import pytest

from ivrkit.testing import IvrHarness

CUSTOMER = "+6512345678"
AGENT = "+6561115777"

pytestmark = pytest.mark.e2e


def test_pressing_1_hangs_up(ivr: IvrHarness) -> None:
    call = ivr.call(CUSTOMER)
    call.expect_prompt("If you have resolved your issue already, press one")
    call.press("1")
    summary = call.expect_hangup()
    assert summary.session_status == "COMPLETED"
    assert summary.call_count == 1
    record = call.record
    assert record is not None
    assert record.digits == ["1"]
    assert record.status == "COMPLETED"


def test_pressing_2_bridges_to_the_agent_until_the_customer_hangs_up(ivr: IvrHarness) -> None:
    call = ivr.call(CUSTOMER, press=["2"], hangup_after=40)
    call.expect_bridge(AGENT)
    summary = call.expect_summary(status="COMPLETED", call_count=2, last_action="MAKE_CALL")
    assert summary.legs["callB"].call_status == "COMPLETED"
    assert (
        summary.legs["callA"].disconnected_timestamp == summary.legs["callB"].disconnected_timestamp
    )


def test_when_the_agent_hangs_up_first_the_ivr_says_goodbye_by_hanging_up(ivr: IvrHarness) -> None:
    ivr.phone(AGENT, hangup_after=12)
    call = ivr.call(CUSTOMER)
    call.expect_prompt("press two to speak to an agent")
    call.press("2")
    call.expect_bridge(AGENT)
    summary = call.expect_summary(status="COMPLETED", call_count=2, last_action="HANGUP")
    assert summary.legs["callB"].call_duration == 12


def test_anything_else_repeats_the_menu(ivr: IvrHarness) -> None:
    call = ivr.call(CUSTOMER)
    call.expect_prompt("Dear customer")
    call.press("9")
    call.expect_prompt("Sorry, we did not understand your response")
    call.press("1")
    call.expect_summary(status="COMPLETED", last_action="HANGUP")
    assert call.record is not None and call.record.digits == ["9", "1"]


def test_no_input_repeats_the_menu_after_the_platforms_tries(ivr: IvrHarness) -> None:
    call = ivr.call(CUSTOMER)
    call.expect_prompt("Dear customer")
    call.no_input()
    call.expect_say("Invalid input, please try again")
    call.expect_prompt("Dear customer")  # the platform's second try (noOfTries 2)
    call.no_input()
    call.expect_prompt("Sorry, we did not understand")
    call.press("1")
    call.expect_hangup()
    assert call.record is not None and call.record.digits == ["1"]


def test_too_many_digits_are_cut_at_max_digits(ivr: IvrHarness) -> None:
    call = ivr.call(CUSTOMER, press=["21"])
    call.expect_summary(status="COMPLETED", call_count=2)
    assert call.record is not None and call.record.digits == ["2"]


@pytest.mark.parametrize(
    ("answer", "status"), [("busy", "BUSY"), ("no-answer", "NO_ANSWER"), ("fail", "FAILED")]
)
def test_the_agent_not_answering_ends_the_session_with_its_status(
    ivr: IvrHarness, answer: str, status: str
) -> None:
    ivr.phone(AGENT, answer=answer)
    call = ivr.call(CUSTOMER, press=["2"])
    summary = call.expect_summary(status=status, call_count=2)
    assert summary.legs["callB"].call_status == status
    assert call.record is not None and call.record.status == status


@pytest.mark.parametrize(("answer", "status"), [("busy", "BUSY"), ("no-answer", "NO_ANSWER")])
def test_the_customer_not_answering_means_no_webhook_but_a_summary(
    ivr: IvrHarness, answer: str, status: str
) -> None:
    call = ivr.call(CUSTOMER, press=[], answer=answer)
    call.expect_summary(status=status, call_count=1)
    record = call.record
    assert record is not None and record.digits == [] and record.status == status
    assert ivr.store.deliveries(call.session_id)[-1].outcome == "summary"


def test_the_caller_hanging_up_mid_menu(ivr: IvrHarness) -> None:
    call = ivr.call(CUSTOMER)
    call.expect_prompt("Dear customer")
    call.hang_up()
    summary = call.expect_summary(status="COMPLETED", call_count=1)
    assert summary.legs["callA"].call_status == "COMPLETED"
    assert call.record is not None and call.record.digits == []


def test_legacy_digit_placement_is_understood(tmp_path: object) -> None:
    with IvrHarness(legacy_dtmf=True) as ivr:
        call = ivr.call(CUSTOMER, press=["1"])
        call.expect_summary(status="COMPLETED", last_action="HANGUP")
        deliveries = ivr.store.deliveries(call.session_id)
        assert '"dtmf":"1"' in deliveries[0].body.replace(" ", "")
        assert "eventData" not in deliveries[0].body


def test_a_client_request_id_is_echoed_in_the_stored_summary(ivr: IvrHarness) -> None:
    call = ivr.call(CUSTOMER, press=["1"], client_request_id="crm-ticket-42")
    summary = call.expect_summary(status="COMPLETED")
    assert summary.client_request_id == "crm-ticket-42"
    assert call.record is not None and call.record.client_request_id == "crm-ticket-42"
