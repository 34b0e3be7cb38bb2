"""The vendor's Advanced IVR (ABC Restaurant), every branch, through the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ivrkit.testing import IvrHarness
from ivrkit.trees import load_tree

CUSTOMER = "+6512345678"
REPRESENTATIVE = "+6561110000"
MAIN = "Welcome to ABC Restaurant, to book a table press 1"
RESERVATIONS = "Press 1 to make a new reservation"
CONNECT = "Connecting you to the next available representative"
BOOK = "Reserving a Table, Press 1 to reserve a table for today"
RESCHEDULE = "Rescheduling your reservation, Press 1 to keep your current reservation"
INVALID = "Invalid input, please call again."

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def restaurant() -> Iterator[IvrHarness]:
    tree = load_tree("restaurant", numbers={"representative": REPRESENTATIVE.removeprefix("+")})
    with IvrHarness(tree) as harness:
        yield harness


@pytest.mark.parametrize(
    ("keys", "prompts", "goodbye"),
    [
        (
            ["1", "1", "1"],
            [MAIN, RESERVATIONS, BOOK],
            "We have booked your table for today, thank you.",
        ),
        (
            ["1", "1", "2"],
            [MAIN, RESERVATIONS, BOOK],
            "We have booked your table for tomorrow, thank you.",
        ),
        (["1", "1", "7"], [MAIN, RESERVATIONS, BOOK], INVALID),
        (
            ["1", "2", "1"],
            [MAIN, RESERVATIONS, RESCHEDULE],
            "Keeping your current reservation, thank you.",
        ),
        (
            ["1", "2", "2"],
            [MAIN, RESERVATIONS, RESCHEDULE],
            "Changing your reservation to tomorrow thank you.",
        ),
        (["1", "2", "0"], [MAIN, RESERVATIONS, RESCHEDULE], INVALID),
        (
            ["1", "3", "3"],
            [MAIN, RESERVATIONS, MAIN],
            "Our restaurant hours are between 9AM and 9PM every day of the week.",
        ),
        (["1", "9"], [MAIN, RESERVATIONS], INVALID),
        (
            ["2", "2", "3"],
            [MAIN, CONNECT, MAIN],
            "Our restaurant hours are between 9AM and 9PM every day of the week.",
        ),
        (["2", "5"], [MAIN, CONNECT], INVALID),
        (["3"], [MAIN], "Our restaurant hours are between 9AM and 9PM every day of the week."),
        (["8"], [MAIN], INVALID),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, list) and value[0].isdigit() else None,
)
def test_every_branch_ends_as_the_guide_says(
    restaurant: IvrHarness, keys: list[str], prompts: list[str], goodbye: str
) -> None:
    call = restaurant.call(CUSTOMER)
    for key, prompt in zip(keys, prompts, strict=True):
        call.expect_prompt(prompt)
        call.press(key)
    call.expect_say(goodbye)
    summary = call.expect_hangup()
    assert summary.session_status == "COMPLETED"
    assert call.record is not None and call.record.digits == keys


def test_silence_at_the_main_menu_is_invalid_input(restaurant: IvrHarness) -> None:
    call = restaurant.call(CUSTOMER)
    call.expect_prompt(MAIN)
    call.no_input()  # the first menu is tried once (noOfTries 1)
    call.expect_say(INVALID)
    call.expect_hangup()


def test_the_representative_then_the_thank_you(restaurant: IvrHarness) -> None:
    restaurant.phone(REPRESENTATIVE, hangup_after=20)
    call = restaurant.call(CUSTOMER)
    call.expect_prompt(MAIN)
    call.press("2")
    call.expect_prompt(CONNECT)
    call.press("1")
    call.expect_bridge(REPRESENTATIVE)
    call.expect_say("Thank you for speaking to ABC Restaurant, have a great day.")
    summary = call.expect_summary(status="COMPLETED", call_count=2, last_action="HANGUP")
    assert summary.legs["callB"].call_duration == 20


def test_an_inbound_call_to_the_restaurant_number(restaurant: IvrHarness) -> None:
    call = restaurant.inbound(CUSTOMER, "+6561115888")
    call.expect_prompt(MAIN)
    call.press("3")
    call.expect_say("Our restaurant hours")
    summary = call.expect_hangup()
    assert summary.legs["callA"].call_direction == "INBOUND"
    assert call.record is not None and call.record.direction == "INBOUND"
