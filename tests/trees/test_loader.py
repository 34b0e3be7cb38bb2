"""Loading trees: the built-in simple IVR reproduces the guide; broken files are refused with
file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrkit.errors import TreeError
from ivrkit.trees import Position, load_tree, parse_tree
from ivrkit.trees._context import CallContext
from tests.conftest import load_fixture

GOOD = """\
name: tiny
numbers: {caller_id: "6561115777", agent: "6561115777"}
entry: main
nodes:
  main:
    menu:
      prompt: Press one to leave.
      capture: {min_digits: 1, max_digits: 1, complete_on_hash: false}
      routes: {"1": bye}
  bye:
    hangup: {say: Goodbye.}
"""


def test_the_initial_callflow_is_the_guides() -> None:
    request = load_tree().initial_request("+6512345678")
    assert request.to_wire() == load_fixture("request_simple_ivr_initial.json")


def test_numbers_and_voice_can_be_overridden() -> None:
    tree = load_tree(numbers={"caller_id": "+6568888888"}, voice_profile="en-GB-Emma")
    request = tree.initial_request("+6512345678").to_wire()
    assert request["callflow"][0]["params"]["source"] == "6568888888"
    assert request["callflow"][1]["params"]["voiceProfile"] == "en-GB-Emma"


def test_a_small_tree_loads_and_says_goodbye() -> None:
    tree = parse_tree(GOOD)
    actions, position = tree.render(Position("bye"), CallContext())
    assert [a.name for a in actions] == ["say", "hangup"]
    assert position is None


def test_a_file_that_is_not_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nentry: [main\n")
    with pytest.raises(TreeError) as caught:
        load_tree(path)
    assert caught.value.file == str(path)
    assert caught.value.line == 3
    assert str(path) in str(caught.value)


def test_a_wrong_field_names_where_it_is() -> None:
    text = GOOD.replace("complete_on_hash: false", "complete_on_hash: false, max_digit: 2")
    with pytest.raises(TreeError) as caught:
        parse_tree(text, source="tiny.yaml")
    assert caught.value.line == 8
    assert "max_digit" in str(caught.value)


def test_a_dangling_route_is_refused_with_its_line() -> None:
    with pytest.raises(TreeError, match="'nowhere' .*which is not defined") as caught:
        parse_tree(GOOD.replace('"1": bye', '"1": nowhere'))
    assert caught.value.line == 9


def test_a_node_with_two_kinds_is_refused() -> None:
    with pytest.raises(TreeError, match="exactly one kind"):
        parse_tree(GOOD.replace("hangup: {say: Goodbye.}", "hangup: {}\n    goto: main"))


def test_a_tree_the_platform_would_refuse_is_refused_at_load() -> None:
    with pytest.raises(TreeError, match="-1002"):
        parse_tree(GOOD, voice_profile="xx-Nobody")


def test_a_prompt_over_the_platform_limit_is_refused_at_load() -> None:
    with pytest.raises(TreeError, match="prompt-too-long: a text of 3001 characters"):
        parse_tree(GOOD.replace("Press one to leave.", "x" * 3001))


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TreeError, match="cannot read"):
        load_tree(tmp_path / "absent.yaml")


def test_retry_is_refused_where_it_cannot_mean_play_again() -> None:
    with pytest.raises(TreeError, match="'retry' means 'play again' only in on_invalid"):
        parse_tree(GOOD.replace('"1": bye', '"1": retry'))


def test_a_transfer_to_a_collected_number_loads() -> None:
    tree = parse_tree(
        """\
name: dial
entry: ask
nodes:
  ask:
    collect: {prompt: "Enter the number to call.", variable: target, min_digits: 8,
              max_digits: 12, next: go}
  go:
    transfer: {to: "{target}", caller_id: "6561115777"}
"""
    )
    assert tree.spec.nodes["go"].transfer is not None


def test_checking_a_tree_never_calls_its_hooks() -> None:
    from ivrkit.trees import HookRegistry

    calls: list[str] = []
    hooks = HookRegistry()

    @hooks.register("lookup")
    def lookup(call: object) -> str:
        calls.append("called")
        return "yes"

    parse_tree(
        """\
name: hooked
numbers: {caller_id: "6561115777"}
entry: check
nodes:
  check:
    hook: {python: lookup, routes: {"yes": hello}, default: hello}
  hello:
    say: Hello.
""",
        hooks=hooks,
    )
    assert calls == []
