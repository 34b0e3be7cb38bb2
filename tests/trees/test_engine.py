"""The engine answers like the vendor's guides, and the richer node kinds behave as documented."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivrkit import wire
from ivrkit.simulator._calls.capture import CaptureSettings, key_times, simulate
from ivrkit.trees import DecisionKind, HookCall, HookResult, RouteKind, load_tree, parse_tree
from tests.conftest import load_fixture

CUSTOMER = "+6512345678"


def event(
    digits: str | None, action_id: str | None = None, *, inbound: bool = False, session: str = "s-1"
) -> wire.CallActionEvent:
    data: dict[str, Any] = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    payload = data["payload"]
    payload.update(eventData={"dtmf": digits}, destination=CUSTOMER, sessionId=session)
    payload.pop("clientActionId")
    if action_id is not None:
        payload["clientActionId"] = action_id
    if inbound:
        payload.update(
            callStatus="CALL_RECEIVED",
            callDirection="INBOUND",
            source=CUSTOMER,
            destination="+6561115777",
        )
        payload.pop("eventData")
    return wire.CallActionEvent.model_validate(data)


def callflow_of(name: str) -> list[dict[str, Any]]:
    callflow: list[dict[str, Any]] = load_fixture(name)["callflow"]
    return callflow


RESTAURANT_PATHS = [
    # (clientActionId of the menu heard, digit, fixture of the guide's answer)
    (None, "1", "vca_response_advanced_ivr_l1_reservations.json"),
    (None, "3", "vca_response_advanced_ivr_l1_restaurant_hours_hangup.json"),
    (None, "7", "vca_response_advanced_ivr_l1_invalid_input.json"),
    ("reservations", "1", "vca_response_advanced_ivr_l2_book_table.json"),
    ("reservations", "2", "vca_response_advanced_ivr_l2_reschedule_table.json"),
    ("reservations", "3", "vca_response_advanced_ivr_l2_reservations_main_menu.json"),
    ("reservations", "9", "vca_response_advanced_ivr_l2_reservations_invalid_input.json"),
    ("connect_call", "2", "vca_response_advanced_ivr_l2_connect_main_menu.json"),
    ("connect_call", "5", "vca_response_advanced_ivr_l2_connect_invalid_input.json"),
]


def test_the_restaurant_initial_callflow_is_the_guides() -> None:
    request = load_tree("restaurant").initial_request(CUSTOMER).to_wire()
    guide = load_fixture("request_advanced_ivr_initial.json")
    assert request["callflow"][1] == guide["callflow"][1]
    assert request["callflow"][0]["params"] == {"source": "6561115888", "destination": "6512345678"}


@pytest.mark.parametrize(("action_id", "digit", "fixture"), RESTAURANT_PATHS)
def test_the_restaurant_answers_every_branch_as_the_guide(
    action_id: str | None, digit: str, fixture: str
) -> None:
    decision = load_tree("restaurant").answer(event(digit, action_id))
    assert decision.callflow.to_wire()["callflow"] == callflow_of(fixture)


def test_the_restaurant_bridges_then_thanks_the_caller() -> None:
    tree = load_tree("restaurant")
    bridge = tree.answer(event("1", "connect_call")).callflow.to_wire()
    assert bridge == {
        "callflow": [
            {"action": "makeCall", "params": {"source": "6561115888", "destination": "6561115999"}}
        ],
        "clientActionId": "representative",
    }
    after = tree.answer(event(None, "representative")).callflow.to_wire()
    assert after["callflow"] == [
        {
            "action": "say",
            "params": {
                "text": "Thank you for speaking to ABC Restaurant, have a great day.",
                "voiceProfile": "en-US-BenjaminRUS",
                "speed": 1,
            },
        },
        {"action": "hangup"},
    ]


def test_a_tampered_action_id_falls_back_to_the_entry_menu() -> None:
    tree = load_tree("restaurant")
    for tampered in ["nope", "main#x", "../../etc", "x" * 500, "reservations#99999"]:
        decision = tree.answer(event("1", tampered))
        assert decision.kind is DecisionKind.STALE
        assert decision.callflow.client_action_id == "main"


def test_an_inbound_call_starts_at_the_entry_node() -> None:
    decision = load_tree("restaurant").answer(event(None, inbound=True))
    assert decision.kind is DecisionKind.INBOUND
    assert decision.callflow.callflow[0].name == "sayAndCapture"


@given(st.text(max_size=40), st.one_of(st.none(), st.text(max_size=30)))
def test_any_digits_and_action_id_get_a_valid_answer(digits: str, action_id: str | None) -> None:
    from ivrkit import rules

    tree = load_tree("restaurant")
    decision = tree.answer(event(digits, action_id))
    assert rules.validate(decision.callflow, mode=rules.Mode.ANSWER).ok


BOOKING = """\
name: booking
numbers: {caller_id: "6561115777", desk: "6561115000"}
defaults:
  capture: {digit_timeout: 5000, overall_timeout: 15000}
languages:
  en: {voice_profile: en-US-BenjaminRUS}
  da: {voice_profile: da-DK-Naja}
entry: language
nodes:
  language:
    menu:
      prompt: {en: "For English press 1.", da: "Tryk 2 for dansk."}
      capture: {max_digits: 1}
      routes:
        "1": {to: ask, set: {language: en}}
        "2": {to: ask, set: {language: da}}
  ask:
    collect:
      prompt: {en: "Enter your 6-digit booking number, then hash.", da: "Indtast dit nummer."}
      retry_prompt: {en: "That was not 6 digits. Try again.", da: "Forkert."}
      variable: booking
      min_digits: 6
      max_digits: 6
      pattern: "^[1-9][0-9]{5}$"
      capture: {complete_on_hash: true}
      max_retries: 1
      on_max_retries: desk
      next: check
  check:
    hook:
      python: check_booking
      routes: {found: confirm, missing: desk}
      default: desk
  confirm:
    say:
      text: {en: "Booking {booking:digits} is confirmed for {guests} guests.", da: "Bekræftet."}
  desk:
    transfer: {to: "{desk}", caller_id: "{caller_id}"}
"""


@pytest.fixture()
def booking_tree() -> Any:
    tree = parse_tree(BOOKING)

    @tree.hook("check_booking")
    def check(call: HookCall) -> HookResult:
        if call.variables.get("booking") == "123456":
            return HookResult("found", {"guests": "4"})
        return HookResult("missing")

    return tree


def test_a_language_menu_sets_the_language_of_later_prompts(booking_tree: Any) -> None:
    decision = booking_tree.answer(event("2"))
    assert decision.variables == {"language": "da"}
    capture = decision.callflow.callflow[0].params
    assert capture.prompt_message == "Indtast dit nummer."
    assert capture.voice_profile == "da-DK-Naja"
    assert (capture.min_digits, capture.max_digits, capture.digit_timeout) == (1, 6, 5000)


def test_a_collected_entry_is_kept_and_the_hook_routes_on_it(booking_tree: Any) -> None:
    decision = booking_tree.answer(event("123456#", "ask"), {"language": "en"})
    assert decision.variables == {"booking": "123456", "guests": "4"}
    say = decision.callflow.callflow[0]
    assert say.params.text == "Booking 1 2 3 4 5 6 is confirmed for 4 guests."


def test_a_wrong_entry_is_asked_again_then_goes_to_the_desk(booking_tree: Any) -> None:
    again = booking_tree.answer(event("12", "ask"), {"language": "en"})
    assert again.callflow.client_action_id == "ask#1"
    assert again.callflow.callflow[0].params.prompt_message == "That was not 6 digits. Try again."
    desk = booking_tree.answer(event("012345", "ask#1"), {"language": "en"})
    assert desk.callflow.to_wire()["callflow"][0]["params"]["destination"] == "6561115000"


def test_an_entry_too_short_is_a_wrong_entry_not_silence(booking_tree: Any) -> None:
    """`123#` at a 6-digit collect: the platform's capture (as the simulator plays it) must
    report the digits, and the tree must take them as wrong (`on_invalid`), not as silence."""
    asked = booking_tree.answer(event("1", "language"))
    capture = asked.callflow.callflow[0]
    assert isinstance(capture, wire.SayAndCapture)
    collector = simulate(CaptureSettings.from_params(capture.params), key_times("123#", 0.1))
    assert collector.dtmf == "123"
    again = booking_tree.answer(event(collector.dtmf, "ask"), {"language": "en"})
    assert [route.kind for route in again.routes] == [RouteKind.INVALID]
    assert again.callflow.callflow[0].params.prompt_message == "That was not 6 digits. Try again."


def test_a_hook_that_fails_takes_its_default_route() -> None:
    tree = parse_tree(BOOKING)

    @tree.hook("check_booking")
    def broken(call: HookCall) -> str:
        raise RuntimeError("database down")

    decision = tree.answer(event("123456", "ask"))
    assert decision.callflow.callflow[0].name == "makeCall"


HOURS = """\
name: hours
entry: open_or_not
nodes:
  open_or_not:
    branch:
      cases:
        - if: {hours: {timezone: Asia/Singapore, days: mon-fri, open: "09:00", close: "21:00"}}
          to: open
        - if: {var: vip, equals: "yes"}
          to: open
      else: closed
  open:
    say: We are open.
  closed:
    say: We are closed.
"""


@pytest.mark.parametrize(
    ("moment", "variables", "expected"),
    [
        (datetime(2026, 11, 25, 2, 0, tzinfo=UTC), {}, "We are open."),  # Wed 10:00 SGT
        (datetime(2026, 11, 25, 14, 0, tzinfo=UTC), {}, "We are closed."),  # Wed 22:00 SGT
        (datetime(2026, 11, 28, 2, 0, tzinfo=UTC), {}, "We are closed."),  # Saturday
        (datetime(2026, 11, 28, 2, 0, tzinfo=UTC), {"vip": "yes"}, "We are open."),
    ],
)
def test_a_branch_follows_business_hours_in_the_time_zone(
    moment: datetime, variables: dict[str, str], expected: str
) -> None:
    tree = parse_tree(HOURS)
    tree.clock = lambda: moment
    decision = tree.answer(event(None, inbound=True), variables)
    assert decision.callflow.callflow[0].params.text == expected
