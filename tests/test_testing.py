"""The testing kit's promises: failures explain themselves with the call's transcript."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivrkit.testing import IvrHarness
from ivrkit.trees import builtin_path

pytestmark = pytest.mark.e2e


def test_a_wrong_prompt_fails_with_the_transcript(ivr: IvrHarness) -> None:
    call = ivr.call("+6512345678")
    with pytest.raises(AssertionError) as failure:
        call.expect_prompt("press three for the chef")
    message = str(failure.value)
    assert "expected the prompt to say 'press three for the chef'" in message
    assert "caller +6512345678 answered" in message
    assert 'IVR asks: "Dear customer' in message
    call.hang_up()


def test_a_wrong_summary_fails_naming_the_field(ivr: IvrHarness) -> None:
    call = ivr.call("+6512345678", press=["1"])
    with pytest.raises(AssertionError, match="expected summary call_count=2, got 1"):
        call.expect_summary(call_count=2)


def test_hanging_up_a_call_that_has_ended_keeps_how_it_ended(ivr: IvrHarness) -> None:
    call = ivr.call("+6512345678", press=["1"])
    call.expect_summary(status="COMPLETED", last_action="HANGUP")
    call.hang_up()  # the IVR hung up first: nothing more happens, and nothing is raised
    call.expect_summary(status="COMPLETED", last_action="HANGUP")


def test_waiting_for_something_after_the_end_fails_at_once(ivr: IvrHarness) -> None:
    call = ivr.call("+6512345678", press=["1"])
    call.expect_hangup()
    with pytest.raises(AssertionError, match="the call ended"):
        call.expect_bridge("+6561115777", timeout=30)


def test_the_ivrkit_tree_fixture_picks_the_tree(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nivrkit_flow = restaurant\n")
    pytester.makepyfile(
        """
        def test_restaurant(ivr):
            call = ivr.call("+6512345678")
            call.expect_prompt("Welcome to ABC Restaurant")
            call.press("3")
            call.expect_say("Our restaurant hours")
            call.expect_hangup()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_relative_ivrkit_flow_is_found_beside_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nivrkit_flow = flows/mine.yaml\n")
    (pytester.path / "flows").mkdir()
    shutil.copy(builtin_path("restaurant"), pytester.path / "flows" / "mine.yaml")
    tests = pytester.mkdir("tests")
    (tests / "test_mine.py").write_text(
        "def test_mine(ivr):\n"
        "    call = ivr.call('+6512345678')\n"
        "    call.expect_prompt('Welcome to ABC Restaurant')\n"
        "    call.hang_up()\n"
    )
    monkeypatch.chdir(tests)  # pytest run from a subfolder still reads the ini's tree
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


HOURS_TREE = """\
name: support
numbers: {caller_id: "6561115777"}
calendars: [support.yaml]
entry: hours
nodes:
  hours:
    branch:
      cases:
        - {if: {calendar: support}, to: open}
      else: closed
  open:
    hangup: {say: "An agent will call you back today."}
  closed:
    hangup: {say: "We are closed. We are open {hours:support}."}
"""


def test_a_call_placed_at_a_time_takes_the_business_hours_branch_of_that_time(
    tmp_path: Path,
) -> None:
    (tmp_path / "support.yaml").write_text(
        'name: support\ntimezone: Europe/Paris\nhours: {mon-fri: "09:00-17:00"}\n',
        encoding="utf-8",
    )
    path = tmp_path / "tree.yaml"
    path.write_text(HOURS_TREE, encoding="utf-8")
    paris = ZoneInfo("Europe/Paris")
    with IvrHarness(path) as ivr:
        ivr.call("+6512345678", at=datetime(2026, 12, 23, 10, 0, tzinfo=paris)).expect_say(
            "An agent will call you back today"
        )
        saturday = ivr.call("+6512345678", at=datetime(2026, 12, 26, 10, 0, tzinfo=paris))
        saturday.expect_say("We are closed. We are open Monday to Friday, 9 AM to 5 PM.")
        with pytest.raises(ValueError, match="has no time zone"):
            ivr.call("+6512345678", at=datetime(2026, 12, 23, 10, 0))
