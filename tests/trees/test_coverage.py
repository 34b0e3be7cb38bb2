"""A route log written by any number of threads and processes reads back as coverage per tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ivrkit.trees import RouteKind, RouteTaken, load_tree
from ivrkit.trees._coverage import read_route_log, total_percent
from ivrkit.trees._observers import (
    OBSERVERS,
    ROUTE_LOG_VARIABLE,
    RouteLog,
    log_routes_to,
    stop_logging,
)


def test_a_log_reads_back_as_the_routes_each_tree_took(tmp_path: Path) -> None:
    path = tmp_path / "routes.jsonl"
    log = RouteLog(path)
    simple, restaurant = load_tree("simple_ivr"), load_tree("restaurant")
    log(simple.spec, simple.version, [RouteTaken("main", RouteKind.KEY, "1", "resolved")])
    log(simple.spec, simple.version, [RouteTaken("main", RouteKind.NO_INPUT, None, "main")])
    log(restaurant.spec, restaurant.version, ())  # served, never called
    with path.open("a") as file:
        file.write('{"version": "cut sh')  # a process killed while writing
    first, second = read_route_log(path)
    assert (first.name, len(first.taken_routes), first.percent) == ("restaurant", 0, 0.0)
    assert second.name == "simple_ivr"
    assert [route.label for route in second.taken_routes] == ["key 1", "no-input"]
    assert second.percent == 40.0
    assert total_percent([first, second]) == 100 * 2 / (len(first.routes) + 5)
    assert path.read_text().count('"tree"') == 2  # each tree is written once


def test_routes_another_version_has_are_not_counted(tmp_path: Path) -> None:
    path = tmp_path / "routes.jsonl"
    tree = load_tree("simple_ivr")
    RouteLog(path)(tree.spec, tree.version, [RouteTaken("gone", RouteKind.KEY, "9", "x")])
    (coverage,) = read_route_log(path)
    assert coverage.taken == frozenset()
    assert read_route_log(tmp_path / "missing.jsonl") == []


def test_answers_in_this_process_are_logged_only_while_someone_listens(tmp_path: Path) -> None:
    path = tmp_path / "routes.jsonl"
    tree = load_tree("simple_ivr")
    log = log_routes_to(path)
    assert log_routes_to(path) is log
    try:
        tree.initial_request("6587654321")
    finally:
        stop_logging(log)
    tree.initial_request("6587654321")
    (coverage,) = read_route_log(path)
    assert coverage.taken == frozenset()
    assert path.read_text().count("\n") == 1


@pytest.mark.e2e
def test_a_process_started_with_the_variable_appends_to_the_log(tmp_path: Path) -> None:
    path = tmp_path / "routes.jsonl"
    tree = (
        "name: hello\n"
        "numbers: {caller_id: '6512345678'}\n"
        "entry: hi\n"
        "nodes:\n"
        "  hi: {say: {text: Hello., next: main}}\n"
        "  main: {menu: {prompt: Press 1., routes: {'1': bye}}}\n"
        "  bye: {hangup: {}}\n"
    )
    script = (
        f"from ivrkit.trees import parse_tree\nparse_tree({tree!r}).initial_request('6587654321')\n"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        env={"PATH": "", ROUTE_LOG_VARIABLE: str(path)},
        timeout=60,
    )
    (coverage,) = read_route_log(path)
    assert coverage.name == "hello"
    assert coverage.taken == frozenset({("hi", RouteKind.NEXT, None)})


def test_a_log_that_cannot_be_written_stops_counting_and_never_breaks_an_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = log_routes_to(tmp_path / "gone" / "routes.jsonl")  # its folder does not exist
    try:
        request = load_tree("simple_ivr").initial_request("6587654321")
        assert request.callflow[-1].action == "sayAndCapture"
        assert log not in OBSERVERS
        assert "routes are no longer logged" in caplog.text
    finally:
        stop_logging(log)
