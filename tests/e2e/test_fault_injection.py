"""ivrkit's webhook server under the faults the platform injects (the ``ivr_faults`` fixture of
the pytest plugin), over real HTTP on loopback: each fault happens, and the server copes."""

from __future__ import annotations

import pytest

from ivrkit.simulator._calls.transcript import Captured, Spoken, WebhookSent
from ivrkit.store import Delivery
from ivrkit.testing import IvrFaults, IvrHarness

CUSTOMER = "+6512345678"
pytestmark = pytest.mark.e2e


def sent(ivr: IvrHarness, session_id: str, kind: str = "VCA") -> list[WebhookSent]:
    view = ivr.control.session(session_id)
    return [e for e in view.entries if isinstance(e, WebhookSent) and e.type == kind]


def stored(ivr: IvrHarness, session_id: str, channel: str = "vca") -> list[Delivery]:
    return [d for d in ivr.store.deliveries(session_id) if d.channel == channel]


def test_a_late_answer_is_delivered_again_and_answered_byte_for_byte_the_same(
    ivr: IvrHarness, ivr_faults: IvrFaults
) -> None:
    ivr_faults.late_answers()
    call = ivr.call(CUSTOMER, press=["1"])
    call.expect_summary(status="COMPLETED", last_action="HANGUP")
    first, again = sent(ivr, call.session_id)
    assert (first.injected, again.injected) == ("late-answer", None)
    assert first.event_id == again.event_id
    assert first.answer_sha256 == again.answer_sha256
    assert len(stored(ivr, call.session_id)) == 1, "one record for the event"
    assert call.record is not None and call.record.digits == ["1"]


def test_a_backend_always_too_slow_ends_in_2002_with_one_record(
    ivr: IvrHarness, ivr_faults: IvrFaults
) -> None:
    ivr_faults.late_answers(3)
    call = ivr.call(CUSTOMER, press=["1"])
    summary = call.expect_summary(status="ERROR")
    assert summary.error_details is not None and summary.error_details.code == -2002
    attempts = sent(ivr, call.session_id)
    assert len(attempts) == 3 and len({a.event_id for a in attempts}) == 1
    assert len({a.answer_sha256 for a in attempts}) == 1, "the same answer every time"
    assert len(stored(ivr, call.session_id)) == 1
    assert call.record is not None and call.record.error_code == -2002


def test_duplicated_deliveries_get_one_record_and_the_same_bytes(
    ivr: IvrHarness, ivr_faults: IvrFaults
) -> None:
    ivr_faults.duplicates(3, webhooks=("VSS",))  # both CALL_ACTIONs and the summary
    call = ivr.call(CUSTOMER, press=["9", "1"])
    call.expect_summary(status="COMPLETED", last_action="HANGUP")
    vca = sent(ivr, call.session_id)
    assert [a.injected for a in vca] == [None, "duplicate"] * 2
    for original, copy in (vca[:2], vca[2:]):
        assert original.event_id == copy.event_id
        assert original.answer_sha256 == copy.answer_sha256
    assert [a.injected for a in sent(ivr, call.session_id, "VSS")] == [None, "duplicate"]
    assert len(stored(ivr, call.session_id)) == 2, "one record per event"
    summaries = stored(ivr, call.session_id, "vss")
    assert [d.outcome for d in summaries] == ["summary", "duplicate"], "the first one is kept"
    assert summaries[0].answer == summaries[1].answer
    assert call.record is not None and call.record.digits == ["9", "1"]


def test_an_out_of_order_copy_after_the_summary_changes_nothing(
    ivr: IvrHarness, ivr_faults: IvrFaults
) -> None:
    ivr_faults.out_of_order()
    call = ivr.call(CUSTOMER, press=["9", "1"])
    call.expect_summary(status="COMPLETED")
    first, second, stale = sent(ivr, call.session_id)
    assert stale.injected == "out-of-order" and stale.event_id == first.event_id
    assert stale.answer_sha256 == first.answer_sha256 != second.answer_sha256
    assert len(stored(ivr, call.session_id)) == 2
    record = call.record
    assert record is not None and record.digits == ["9", "1"] and record.status == "COMPLETED"


def test_the_last_event_out_of_order_after_the_summary(
    ivr: IvrHarness, ivr_faults: IvrFaults
) -> None:
    ivr_faults.out_of_order()
    call = ivr.call(CUSTOMER, press=["1"])
    call.expect_summary(status="COMPLETED")
    view = ivr.control.session(call.session_id)
    order = [(e.type, e.injected) for e in view.entries if isinstance(e, WebhookSent)]
    assert order == [("VCA", None), ("VSS", None), ("VCA", "out-of-order")]
    first, stale = sent(ivr, call.session_id)
    assert stale.status == 200 and stale.answer_sha256 == first.answer_sha256
    record = call.record
    assert record is not None and record.status == "COMPLETED" and record.last_action == "HANGUP"


def test_keys_pressed_after_the_timeout_are_not_digits(
    ivr: IvrHarness, ivr_faults: IvrFaults
) -> None:
    ivr_faults.late_digits()
    call = ivr.call(CUSTOMER)
    call.expect_prompt("press one")
    call.press("1")
    call.expect_say("Invalid input, please try again")
    call.expect_prompt("press one")  # the second try: keys now count
    call.press("1")
    call.expect_hangup()
    captures = [e for e in call.entries if isinstance(e, Captured)]
    assert [(c.dtmf, c.ignored) for c in captures] == [(None, "1"), ("1", "")]
    assert call.record is not None and call.record.digits == ["1"]
    assert ivr_faults.pending()["late_digits"] == 0


def test_a_hang_up_while_the_webhook_is_in_flight(ivr: IvrHarness, ivr_faults: IvrFaults) -> None:
    ivr_faults.hangup_in_flight()
    call = ivr.call(CUSTOMER, press=["9"])
    summary = call.expect_summary(status="COMPLETED", last_action="SAY_AND_CAPTURE")
    assert summary.legs["callA"].call_status == "COMPLETED"
    [vca] = sent(ivr, call.session_id)
    assert vca.status == 200, "the server answered, though nobody was left to hear it"
    view = ivr.control.session(call.session_id)
    prompts = [e for e in view.entries if isinstance(e, Spoken) and e.purpose == "prompt"]
    assert len(prompts) == 1, "the answer's menu never played"
    assert len(stored(ivr, call.session_id)) == 1
    assert len(stored(ivr, call.session_id, "vss")) == 1
    record = call.record
    assert record is not None and record.status == "COMPLETED" and record.digits == ["9"]


def test_patience_is_the_platform_timeout(ivr: IvrHarness, ivr_faults: IvrFaults) -> None:
    ivr_faults.patience(7.5)
    assert ivr_faults.pending()["webhook_timeout"] == 7.5
    ivr_faults.clear()
    assert ivr_faults.pending()["webhook_timeout"] is None
