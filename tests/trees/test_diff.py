"""`diff_trees`: every change a caller would notice, told in words, and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from ivrkit.trees import TreeSpec, parse_spec
from ivrkit.trees._diff import TREE, diff_trees, word_diff
from ivrkit.trees._loader import builtin_path

SIMPLE = builtin_path("simple_ivr").read_text(encoding="utf-8")


def spec(text: str = SIMPLE, **changes: Any) -> TreeSpec:
    """The simple IVR (or ``text``) with top-level keys replaced and nodes merged in."""
    data = yaml.safe_load(text)
    nodes = changes.pop("nodes", {})
    data.update(changes)
    for name, node in nodes.items():
        if node is None:
            del data["nodes"][name]
        else:
            data["nodes"][name] = node
    return parse_spec(yaml.safe_dump(data))[0]


def main_menu(**changes: Any) -> dict[str, Any]:
    node = yaml.safe_load(SIMPLE)["nodes"]["main"]
    node["menu"].update(changes)
    return node


def messages(old: TreeSpec, new: TreeSpec) -> list[str]:
    return [change.message for change in diff_trees(old, new).changes]


def test_a_tree_is_the_same_as_itself_even_written_differently() -> None:
    reordered = yaml.safe_dump(yaml.safe_load(SIMPLE), sort_keys=True)
    result = diff_trees(spec(), spec(reordered))
    assert result.same
    assert result.old_version == result.new_version


def test_a_moved_route_is_told_per_key() -> None:
    new = spec(nodes={"main": main_menu(routes={"1": "resolved", "2": "resolved", "3": "agent"})})
    result = diff_trees(spec(), new)
    assert [(c.node, c.what, c.field) for c in result.changes] == [
        ("main", "route", "menu.routes.2"),
        ("main", "route", "menu.routes.3"),
    ]
    assert messages(spec(), new) == [
        "key 2 in `main` now goes to `resolved`, was `agent`",
        "key 3 in `main` now goes to `agent` (new route)",
    ]
    assert not result.same


def test_a_removed_key_and_a_route_that_sets_a_variable() -> None:
    routes = {"1": {"to": "resolved", "set": {"reason": "fixed"}}}
    assert messages(spec(), spec(nodes={"main": main_menu(routes=routes)})) == [
        'key 1 in `main` sets {"reason": "fixed"}, was {}',
        "key 2 in `main` has no route any more (went to `agent`)",
    ]


def test_a_prompt_change_is_a_word_diff() -> None:
    new = spec(nodes={"main": main_menu(prompt="Press one if resolved, two for an agent.")})
    (change,) = diff_trees(spec(), new).changes
    assert (change.what, change.field) == ("prompt", "menu.prompt.en")
    assert change.message == (
        "prompt (en): [-Dear customer, Thank you-] {+Press one if resolved, two+} for "
        "[-contacting Xyz technical support recently. If you have resolved your issue already, "
        "press one. Or press two to speak to-] an agent."
    )


def test_prompts_are_compared_per_language() -> None:
    old = spec(nodes={"main": main_menu(prompt={"en": "Press one.", "es": "Pulse uno."})})
    new = spec(nodes={"main": main_menu(prompt={"en": "Press one.", "es": "Pulse el uno."})})
    (change,) = diff_trees(old, new).changes
    assert change.field == "menu.prompt.es"
    assert change.message == "prompt (es): Pulse {+el+} uno."


def test_a_text_becoming_per_language_keeps_its_default_language() -> None:
    old = spec(nodes={"main": main_menu(prompt="Press one.")})
    new = spec(nodes={"main": main_menu(prompt={"en": "Press one.", "es": "Pulse uno."})})
    assert messages(old, new) == ["prompt (es) added: 'Pulse uno.'"]


def test_retries_timeouts_and_captures_are_settings() -> None:
    capture = {**main_menu()["menu"]["capture"], "digit_timeout": 5000, "no_of_tries": 3}
    new = spec(
        nodes={
            "main": main_menu(
                capture=capture, on_no_input="agent", max_retries=2, on_max_retries="resolved"
            )
        }
    )
    assert messages(spec(), new) == [
        "menu.capture.digit_timeout: 10000 → 5000",
        "menu.capture.no_of_tries: 2 → 3",
        "menu.max_retries: 2 (was unset)",
        'menu.on_max_retries: "resolved" (was unset)',
        'menu.on_no_input: "retry" → "agent"',
    ]


def test_a_capture_setting_moved_to_the_defaults_is_no_change() -> None:
    data = yaml.safe_load(SIMPLE)
    capture = data["nodes"]["main"]["menu"].pop("capture")
    data["defaults"]["capture"] = capture
    assert diff_trees(spec(), spec(yaml.safe_dump(data))).same


def test_nodes_added_removed_and_changed_in_kind() -> None:
    new = spec(
        nodes={
            "agent": {"say": {"text": "All agents are busy."}, "outcome": "agent"},
            "resolved": None,
            "goodbye": {"hangup": {"say": "Goodbye."}, "outcome": "resolved"},
            "main": main_menu(routes={"1": "goodbye", "2": "agent"}),
        }
    )
    assert messages(spec(), new) == [
        "`agent` is now a say, was a transfer",
        "node `goodbye` added (hangup)",
        "key 1 in `main` now goes to `goodbye`, was `resolved`",
        "node `resolved` removed (was a hangup)",
    ]


def test_outcomes_are_told() -> None:
    new = spec(nodes={"resolved": {"hangup": {}, "outcome": "self-service"}})
    assert messages(spec(), new) == [
        "a session reaching `resolved` now ends `self-service`, was `resolved`"
    ]


def test_an_outcome_lost_when_a_node_changes_kind_is_told() -> None:
    new = spec(nodes={"agent": {"say": {"text": "All agents are busy.", "next": "resolved"}}})
    assert messages(spec(), new) == [
        "`agent` is now a say, was a transfer",
        "`agent` has no outcome any more (was `agent`)",
    ]


def test_an_outcome_gained_with_a_new_kind_is_told() -> None:
    new = spec(nodes={"agent": {"hangup": {}, "outcome": "agent"}})
    assert messages(spec(), new) == ["`agent` is now a hangup, was a transfer"]
    relabelled = spec(nodes={"agent": {"hangup": {}, "outcome": "handed-over"}})
    assert messages(spec(), relabelled)[1] == (
        "a session reaching `agent` now ends `handed-over`, was `agent`"
    )


def test_branch_conditions_are_compared_field_by_field() -> None:
    def hours(close: str) -> dict[str, Any]:
        case = {"if": {"hours": {"timezone": "Asia/Singapore", "open": "09:00", "close": close}}}
        return {"branch": {"cases": [{**case, "to": "main"}], "else": "resolved"}}

    old = spec(entry="open", nodes={"open": hours("18:00")})
    new = spec(entry="open", nodes={"open": hours("20:00")})
    (change,) = diff_trees(old, new).changes
    assert change.message == 'branch.cases.0.when.hours.close: "18:00" → "20:00"'


def test_numbers_voices_and_entry_are_tree_wide() -> None:
    data = yaml.safe_load(SIMPLE)
    data["numbers"]["agent"] = "6560000000"
    data["defaults"]["voice_profile"] = "en-GB-LibbyNeural"
    result = diff_trees(spec(), spec(yaml.safe_dump(data)))
    assert {change.node for change in result.changes} == {TREE}
    assert [change.message for change in result.changes] == [
        'defaults.voice_profile: "en-US-BenjaminRUS" → "en-GB-LibbyNeural"',
        'numbers.agent: "6561115777" → "6560000000"',
    ]


def test_changes_are_grouped_tree_first_then_by_node() -> None:
    data = yaml.safe_load(SIMPLE)
    data["numbers"]["agent"] = "6560000000"
    data["nodes"]["resolved"]["outcome"] = "done"
    data["nodes"]["main"]["menu"]["routes"]["2"] = "resolved"
    groups = diff_trees(spec(), spec(yaml.safe_dump(data))).by_node()
    assert list(groups) == [TREE, "main", "resolved"]


def test_the_json_is_stable_and_complete() -> None:
    new = spec(nodes={"main": main_menu(routes={"1": "resolved", "2": "resolved"})})
    first = json.dumps(diff_trees(spec(), new).to_json())
    assert first == json.dumps(diff_trees(spec(), new).to_json())
    body = json.loads(first)
    assert body["same"] is False
    assert body["changes"] == [
        {
            "node": "main",
            "what": "route",
            "field": "menu.routes.2",
            "old": {"to": "agent", "set": {}},
            "new": {"to": "resolved", "set": {}},
            "message": "key 2 in `main` now goes to `resolved`, was `agent`",
        }
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("press one", "press one", "press one"),
        ("press one now", "press two now", "press [-one-] {+two+} now"),
        ("a b c", "a c", "a [-b-] c"),
        ("a c", "a b c", "a {+b+} c"),
    ],
)
def test_word_diff(old: str, new: str, expected: str) -> None:
    assert word_diff(old, new) == expected
