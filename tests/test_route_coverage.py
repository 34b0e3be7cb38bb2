"""`pytest --ivrkit-coverage`: the routes a suite took, per tree, and a run that fails below a
share."""

from __future__ import annotations

import pytest

from ivrkit._route_coverage import coverage_lines
from ivrkit.trees import RouteKind, load_tree
from ivrkit.trees._coverage import TreeCoverage
from ivrkit.trees._routes import tree_routes

# A suite that answers the simple IVR's webhooks in its own process: key 1, and a wrong key.
ENGINE_SUITE = """
from ivrkit import wire
from ivrkit.trees import load_tree

def event(action_id, digits):
    return wire.CallActionEvent.model_validate({
        "eventType": "CALL_ACTION",
        "payload": {
            "eventId": "e1", "sessionId": "s1", "callId": "c1",
            "callStatus": "CALL_CONNECTED", "callDirection": "OUTBOUND",
            "source": "6512345678", "destination": "6587654321",
            "clientActionId": action_id, "dtmf": digits,
        },
    })

def test_key_one():
    assert load_tree("simple_ivr").answer(event("main", "1")).node == "resolved"

def test_a_wrong_key():
    assert load_tree("simple_ivr").answer(event("main", "7")).node == "main"
"""


@pytest.mark.e2e
def test_the_table_shows_the_share_taken_and_the_routes_never_taken(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(ENGINE_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ivrkit-coverage")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.re_match_lines(
        [
            r"-+ ivrkit route coverage -+",
            r"tree\s+routes\s+taken\s+cover",
            r"simple_ivr\s+5\s+2\s+40%",
            r"routes never taken in simple_ivr:",
            r"  node\s+route\s+target",
            r"  main\s+key 2\s+agent",
            r"  main\s+no-input\s+main",
            r"  agent\s+next\s+\(end\)",
        ]
    )
    assert "main   key 1" not in result.stdout.str()


@pytest.mark.e2e
def test_fail_under_fails_the_run_below_the_share_and_passes_it_above(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(ENGINE_SUITE)
    below = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--ivrkit-coverage-fail-under=50"
    )
    below.assert_outcomes(passed=2)
    assert below.ret == pytest.ExitCode.TESTS_FAILED
    below.stdout.fnmatch_lines(
        ["FAIL Required route coverage of 50% not reached. Total route coverage: 40%"]
    )
    above = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--ivrkit-coverage-fail-under=40"
    )
    assert above.ret == pytest.ExitCode.OK
    above.stdout.fnmatch_lines(["*simple_ivr*5*2*40%"])
    assert "FAIL Required" not in above.stdout.str()


@pytest.mark.e2e
def test_without_the_option_the_output_is_unchanged(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(ENGINE_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "route coverage" not in result.stdout.str()


@pytest.mark.e2e
def test_a_process_the_suite_starts_counts_too(pytester: pytest.Pytester) -> None:
    """An `ivrkit serve` (or any ivrkit process) started by a test inherits the route log."""
    pytester.makepyfile(
        answer=ENGINE_SUITE.split("def test_key_one")[0]
        + "\nload_tree('simple_ivr').answer(event('main', '2'))\n",
        test_child="""
import subprocess, sys
from pathlib import Path

def test_a_child_process_answers():
    script = Path(__file__).parent / "answer.py"
    subprocess.run([sys.executable, str(script)], check=True)
""",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ivrkit-coverage")
    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines([r"simple_ivr\s+5\s+1\s+20%"])
    assert "key 2" not in result.stdout.str().split("routes never taken")[1]


@pytest.mark.e2e
def test_calls_through_the_ivr_fixture_are_counted(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nivrkit_flow = simple_ivr\n")
    pytester.makepyfile(
        """
        def test_resolved(ivr):
            call = ivr.call("+6512345678")
            call.expect_prompt("press one")
            call.press("1")
            call.expect_hangup()

        def test_silence_then_resolved(ivr):
            call = ivr.call("+6512345678")
            call.expect_prompt("press one")
            call.no_input()
            call.expect_prompt("press one")  # the platform's second try (noOfTries 2)
            call.no_input()
            call.expect_prompt("did not understand")
            call.press("1")
            call.expect_hangup()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ivrkit-coverage")
    result.assert_outcomes(passed=2)
    result.stdout.re_match_lines([r"simple_ivr\s+5\s+2\s+40%"])
    result.stdout.re_match_lines([r"  main\s+invalid\s+main"])


def _coverage(name: str, taken: int) -> TreeCoverage:
    routes = tree_routes(load_tree(name).spec)
    return TreeCoverage(name, "0123456789", routes, frozenset(r.id for r in routes[:taken]))


def test_several_trees_get_a_total_and_a_share_short_of_all_never_shows_100() -> None:
    almost = _coverage("restaurant", 34)  # of its 35 routes
    lines = coverage_lines([almost, _coverage("simple_ivr", 5)])
    assert lines[1].split() == ["restaurant", "35", "34", "97%"]
    assert lines[2].split() == ["simple_ivr", "5", "5", "100%"]
    assert lines[3].split() == ["TOTAL", "40", "39", "97%"]  # 97.5
    assert "routes never taken in simple_ivr:" not in lines
    assert lines[-1].split() == ["invalid", "next", "(end)"]
    assert almost.missed[0].kind is RouteKind.NEXT


def test_two_versions_of_one_tree_are_told_apart_and_no_tree_is_said_plainly() -> None:
    first, second = _coverage("simple_ivr", 1), _coverage("simple_ivr", 2)
    second = TreeCoverage("simple_ivr", "abcdefabcd", second.routes, second.taken)
    lines = coverage_lines([first, second])
    assert lines[1].startswith("simple_ivr@0123456789")
    assert lines[2].startswith("simple_ivr@abcdefabcd")
    assert coverage_lines([]) == ["no tree answered a call: no route was taken"]


@pytest.mark.e2e
@pytest.mark.slow
def test_pytest_xdist_workers_count_for_their_controller(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist", reason="pytest-xdist is not installed")
    pytester.makepyfile(ENGINE_SUITE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--ivrkit-coverage-fail-under=40"
    )
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.re_match_lines([r"simple_ivr\s+5\s+2\s+40%"])
    assert result.stdout.str().count("ivrkit route coverage") == 1


@pytest.mark.e2e
def test_collecting_only_neither_reports_nor_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(ENGINE_SUITE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--collect-only", "--ivrkit-coverage-fail-under=100"
    )
    assert result.ret == pytest.ExitCode.OK
    assert "route coverage" not in result.stdout.str()
