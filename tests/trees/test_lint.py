"""Lint finds every problem of a tree, each with its stable code and place; the shipped trees are
clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrkit import rules
from ivrkit.trees import HangupNode, Menu, Node, TreeSpec, builtin_path, parse_spec
from ivrkit.trees._issues import CODES
from ivrkit.trees._lint import Issue, lint_spec, lint_text
from ivrkit.trees._lint_prompts import mentioned_keys, offered_keys

DOCS = Path(__file__).resolve().parents[2] / "docs"

BASE = """\
name: t
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 to hear our hours, press 2 to leave.
      capture: {max_digits: 1}
      routes: {"1": hours, "2": bye}
      on_invalid: bye
  hours:
    say: We are open from nine to five.
  bye:
    hangup: {say: Goodbye.}
"""


def codes(issues: list[Issue]) -> list[str]:
    return [issue.code for issue in issues]


def lint(text: str, **kwargs: object) -> list[Issue]:
    return lint_text(text, source="t.yaml", **kwargs)  # type: ignore[arg-type]


def test_the_base_tree_of_these_tests_is_clean() -> None:
    assert lint(BASE) == []


@pytest.mark.parametrize("name", ["simple_ivr", "restaurant"])
def test_the_shipped_trees_lint_clean(name: str) -> None:
    path = builtin_path(name)
    assert lint_text(path.read_text(encoding="utf-8"), source=str(path)) == []


def test_a_file_that_is_not_yaml_is_one_error_with_its_place() -> None:
    (issue,) = lint("name: t\nentry: [main\n")
    assert (issue.severity, issue.code, issue.line) == ("error", "invalid-yaml", 3)


def test_a_misspelt_field_is_one_error_naming_the_node_and_line() -> None:
    (issue,) = lint(BASE.replace("      prompt:", "      promt:"))
    assert (issue.code, issue.node, issue.line) == ("invalid-tree", "main", 6)
    assert "nodes.main.menu.prompt" in issue.message


def test_a_node_written_twice_is_reported_where_the_second_one_is() -> None:
    issues = lint(BASE + "  bye:\n    hangup: {}\n")
    assert codes(issues) == ["duplicate-key"]
    assert issues[0].line == 14


def test_every_dangling_target_is_reported_not_only_the_first() -> None:
    text = BASE.replace('"2": bye}', '"2": nowhere}').replace("on_invalid: bye", "on_invalid: gone")
    issues = lint(text)
    assert codes(issues) == ["dangling-target", "dangling-target", "unreachable-node"]
    assert [i.line for i in issues[:2]] == [8, 9]
    assert "'nowhere'" in issues[0].message


def test_a_missing_entry_is_one_error_with_a_suggestion() -> None:
    (issue,) = lint(BASE.replace("entry: main", "entry: mian"))
    assert (issue.code, issue.line) == ("dangling-target", 2)
    assert "did you mean 'main'" in issue.message


def test_retry_where_only_a_node_may_be_named() -> None:
    issues = lint(
        BASE.replace("say: We are open from nine to five.", "say: {text: Hi, next: retry}")
    )
    assert codes(issues) == ["retry-not-allowed"]
    assert issues[0].node == "hours"


def test_a_node_nobody_reaches_is_reported_on_its_name() -> None:
    issues = lint(BASE + "  orphan:\n    hangup: {}\n")
    assert codes(issues) == ["unreachable-node"]
    assert (issues[0].node, issues[0].line, issues[0].column) == ("orphan", 14, 3)


TRAP = """\
name: t
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 for sales.
      retry_prompt: Sorry. Press 1 for sales.
      routes: {"1": sales}
  sales:
    menu:
      prompt: Press 1 for the main menu.
      retry_prompt: Sorry. Press 1 for the main menu.
      routes: {"1": again}
  again:
    goto: main
"""


def test_a_loop_of_menus_with_no_way_out_is_reported_once() -> None:
    issues = lint(TRAP)
    assert codes(issues) == ["no-way-out"]
    assert issues[0].node == "main"
    assert "'main', 'sales', 'again'" in issues[0].message


def test_only_the_trap_is_reported_not_the_menus_leading_into_it() -> None:
    text = TRAP.replace("entry: main", "entry: first") + (
        "  first:\n    menu:\n      prompt: Press 1 to go on.\n      retry_prompt: Again.\n"
        '      routes: {"1": main}\n'
    )
    assert codes(lint(text)) == ["no-way-out"]


def test_a_menu_that_hangs_up_after_max_retries_has_a_way_out() -> None:
    text = TRAP.replace('routes: {"1": sales}', 'routes: {"1": sales}\n      max_retries: 2')
    assert lint(text) == []


def test_a_menu_whose_only_exit_is_on_max_retries_without_max_retries_is_trapped() -> None:
    text = TRAP.replace('routes: {"1": sales}', 'routes: {"1": sales}\n      on_max_retries: bye')
    text += "  bye:\n    hangup: {}\n"
    assert codes(lint(text)) == ["no-way-out", "unused-retry-setting", "unreachable-node"]


def test_a_loop_that_never_waits_is_an_error() -> None:
    text = """\
name: t
entry: hello
nodes:
  hello:
    say: {text: Hello, next: again}
  again:
    goto: hello
"""
    issues = lint(text)
    assert codes(issues) == ["loop-never-waits"]
    assert issues[0].line == 4


def test_a_prompt_over_the_limit_in_any_language_is_reported_once() -> None:
    text = BASE.replace(
        "prompt: Press 1 to hear our hours, press 2 to leave.",
        f'prompt: {{en: "Press 1 to hear our hours, press 2 to leave.", da: "{"x" * 3001}"}}',
    ).replace("nodes:", "languages: {da: {voice_profile: da-DK-Naja}}\nnodes:")
    issues = lint(text)
    assert codes(issues) == ["prompt-too-long"]
    assert "3001 characters" in issues[0].message


def test_an_unknown_voice_profile_is_reported_with_a_suggestion() -> None:
    text = "defaults: {voice_profile: en-US-BenjaminRUs}\n" + BASE
    issues = lint(text)
    assert codes(issues) == ["unknown-voice-profile"]
    assert issues[0].line == 1
    assert "did you mean 'en-US-BenjaminRUS'" in issues[0].message


def test_voice_profiles_are_judged_against_the_platform_given() -> None:
    platform = rules.Platform(voice_profiles=frozenset({"xx-Custom"}))
    assert codes(lint(BASE, platform=platform)) == ["unknown-voice-profile"]
    custom = "defaults: {voice_profile: xx-Custom}\n" + BASE
    assert lint(custom, platform=platform) == []


def test_a_callflow_the_platform_refuses_carries_its_code() -> None:
    issues = lint(BASE.replace("capture: {max_digits: 1}", "capture: {complete_on_hash: false}"))
    assert codes(issues) == ["callflow-rejected"]
    assert issues[0].node == "main"
    assert "-1008 Valid maxDigits is required when completeOnHash is false" in issues[0].message


def test_the_initial_request_is_judged_when_the_tree_has_a_caller_id() -> None:
    platform = rules.Platform(allowed_sources=frozenset({"6561115777"}))
    issues = lint('numbers: {caller_id: "6561115000"}\n' + BASE, platform=platform)
    assert codes(issues) == ["callflow-rejected"]
    assert "initial callflow" in issues[0].message
    assert "-1014 Source or caller ID is not allowed" in issues[0].message
    assert lint('numbers: {caller_id: "6561115777"}\n' + BASE, platform=platform) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("press 2 to leave", "press 12 to leave"), ["route-uncapturable"]),
        (("capture: {max_digits: 1}", "capture: {max_digits: 1, min_digits: 2}"), None),
        (("press 2 to leave", "press hash to leave"), ["route-uncapturable"]),
    ],
)
def test_routes_a_menu_cannot_capture_are_errors(
    change: tuple[str, str], expected: list[str] | None
) -> None:
    text = BASE.replace(*change)
    if "12" in change[1]:
        text = text.replace('"2": bye', '"12": bye')
    if "hash" in change[1]:
        text = text.replace('"2": bye', '"#": bye')
    issues = lint(text)
    if expected is None:  # min_digits 2: neither one-digit route can be entered
        assert codes(issues) == ["callflow-rejected", "route-uncapturable", "route-uncapturable"]
    else:
        assert codes(issues) == expected
        assert issues[0].severity == "error"


def test_a_hash_route_is_fine_when_hash_does_not_end_the_entry() -> None:
    text = (
        BASE.replace("press 2 to leave", "press hash to leave")
        .replace('"2": bye', '"#": bye')
        .replace("capture: {max_digits: 1}", "capture: {max_digits: 1, complete_on_hash: false}")
    )
    assert lint(text) == []


def test_a_long_route_with_max_digits_left_to_the_platform_is_a_warning() -> None:
    text = (
        BASE.replace("press 2 to leave", "press 12 to leave")
        .replace('"2": bye', '"12": bye')
        .replace("      capture: {max_digits: 1}\n", "")
    )
    issues = lint(text)
    assert codes(issues) == ["route-needs-max-digits"]
    assert (issues[0].severity, issues[0].line) == ("warning", 7)


def test_an_unknown_template_is_an_error() -> None:
    issues = lint(BASE.replace("nine to five.", "nine to five, {nmae}."))
    assert codes(issues) == ["unknown-template"]
    assert issues[0].severity == "error"
    assert "{nmae}" in issues[0].message


def test_an_unknown_template_is_a_warning_when_a_hook_may_set_it() -> None:
    text = BASE.replace("nine to five.", "nine to five, {guest}.").replace(
        '"1": hours', '"1": check'
    )
    text += "  check:\n    hook: {python: lookup, default: hours}\n"
    issues = lint(text)
    assert codes(issues) == ["unknown-template"]
    assert issues[0].severity == "warning"


def test_templates_may_name_numbers_the_customer_and_variables_the_tree_sets() -> None:
    text = """\
name: t
numbers: {desk: "6561115000"}
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 for the desk, {customer}.
      capture: {max_digits: 1}
      routes: {"1": {to: ask, set: {topic: desk}}}
      on_invalid: bye
  ask:
    collect: {prompt: "Your {topic} number?", variable: booking, next: confirm, on_invalid: bye}
  confirm:
    say: {text: "Booking {booking:digits} for {topic}.", next: desk}
  desk:
    transfer: {to: "{desk}"}
  bye:
    hangup: {}
"""
    assert lint(text) == []


def test_a_prompt_offering_a_key_without_a_route_is_a_warning() -> None:
    issues = lint(BASE.replace("press 2 to leave", "press 2 to leave, press star for help"))
    assert codes(issues) == ["unrouted-digit"]
    assert (issues[0].severity, issues[0].line) == ("warning", 6)
    assert "'*'" in issues[0].message


def test_a_route_no_prompt_mentions_is_a_warning_only_when_prompts_offer_keys() -> None:
    text = BASE.replace('"2": bye}', '"2": bye, "3": hours}')
    assert codes(lint(text)) == ["unmentioned-route"]
    vague = text.replace("Press 1 to hear our hours, press 2 to leave.", "Make your choice.")
    assert lint(vague) == []


def test_a_menu_without_invalid_input_handling_is_a_warning() -> None:
    text = BASE.replace("      on_invalid: bye\n", "")
    issues = lint(text)
    assert codes(issues) == ["no-invalid-handling"]
    assert issues[0].node == "main"
    for fix in (
        "      retry_prompt: Sorry, press 1 or 2.\n",
        "      max_retries: 2\n",
        "      capture: {max_digits: 1, failure_message: Sorry.}\n",
    ):
        mended = text.replace(
            "      capture: {max_digits: 1}\n", "      capture: {max_digits: 1}\n" + fix
        )
        if "failure_message" in fix:
            mended = text.replace("      capture: {max_digits: 1}\n", fix)
        assert lint(mended) == [], fix


def test_a_failure_message_in_the_defaults_counts_as_handling() -> None:
    text = "defaults: {capture: {failure_message: Sorry.}}\n" + BASE.replace(
        "      on_invalid: bye\n", ""
    )
    assert lint(text) == []


def test_max_retries_that_never_count_is_a_warning() -> None:
    text = BASE.replace(
        "on_invalid: bye", "on_invalid: bye\n      on_no_input: bye\n      max_retries: 3"
    )
    issues = lint(text)
    assert codes(issues) == ["unused-retry-setting"]


LANGUAGES = """\
name: t
defaults: {language: en}
languages:
  en: {voice_profile: en-US-BenjaminRUS}
  da: {voice_profile: da-DK-Naja}
entry: main
nodes:
  main:
    menu:
      prompt: {en: "For English press 1.", da: "Tryk 2 for dansk."}
      capture: {max_digits: 1}
      routes: {"1": {to: bye, set: {language: en}}, "2": {to: bye, set: {language: da}}}
      on_invalid: bye
  bye:
    hangup: {say: {en: Goodbye., da: Farvel.}}
"""


def test_a_language_menu_is_clean() -> None:
    assert lint(LANGUAGES) == []


def test_missing_and_unknown_languages_are_warnings() -> None:
    text = LANGUAGES.replace("da: Farvel.", "fr: Au revoir.").replace(
        "language: da}", "language: de}"
    )
    issues = lint(text)
    assert codes(issues) == ["unknown-language", "missing-translation", "unknown-language"]
    assert [issue.line for issue in issues] == [12, 15, 15]
    assert {issue.severity for issue in issues} == {"warning"}


def test_lint_reports_everything_at_once_in_file_order() -> None:
    text = (
        "defaults: {voice_profile: nobody}\n"
        + BASE.replace('"2": bye', '"2": nowhere').replace("nine to five.", "nine to {x}.")
        + "  orphan:\n    hangup: {}\n"
    )
    issues = lint(text)
    assert codes(issues) == [
        "unknown-voice-profile",
        "dangling-target",
        "unknown-template",
        "unreachable-node",
    ]
    lines = [issue.line or 0 for issue in issues]
    assert lines == sorted(lines)


def test_a_tree_built_in_code_is_linted_without_places() -> None:
    spec = TreeSpec(
        name="code",
        entry="main",
        nodes={
            "main": Node(menu=Menu(prompt="Press 1 to leave.", routes={"1": "gone"})),
            "bye": Node(hangup=HangupNode()),
        },
    )
    issues = lint_spec(spec)
    assert {"dangling-target", "unreachable-node"} <= set(codes(issues))
    assert all(issue.line is None and issue.column is None for issue in issues)


def test_lint_spec_uses_the_yaml_root_for_places() -> None:
    spec, root = parse_spec(BASE + "  orphan:\n    hangup: {}\n")
    (issue,) = lint_spec(spec, root=root)
    assert issue.line == 14


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("If resolved, press one. Or press two to speak to an agent.", ["1", "2"]),
        ("Press 1, 2 or 3 now", ["1", "2", "3"]),
        ("press the star key, or press # to finish", ["*", "#"]),
        ("Press 10 for billing", ["10"]),
        ("We have pressed shirts, press onward", []),
    ],
)
def test_offered_keys_reads_press_phrases(text: str, keys: list[str]) -> None:
    assert offered_keys(text) == keys


def test_mentioned_keys_finds_numbers_in_any_phrasing() -> None:
    assert mentioned_keys("Tryk 2 for dansk, or nine") == {"2", "9"}


def test_issues_serialise_for_json() -> None:
    (issue,) = lint(BASE + "  orphan:\n    hangup: {}\n")
    assert issue.to_json() == {
        "severity": "error",
        "code": "unreachable-node",
        "message": issue.message,
        "node": "orphan",
        "line": 14,
        "column": 3,
    }


def test_every_code_is_documented_with_its_severity() -> None:
    reference = (DOCS / "trees.md").read_text(encoding="utf-8")
    for code, (severity, _) in CODES.items():
        assert f"| `{code}` | {severity} |" in reference, code


def test_a_dangling_target_is_reported_even_where_it_cannot_fire() -> None:
    text = BASE.replace("on_invalid: bye", "on_invalid: bye\n      on_max_retries: gone")
    assert codes(lint(text)) == ["dangling-target", "unused-retry-setting"]


def test_a_label_whose_category_is_guessed_is_a_warning() -> None:
    text = BASE.replace("    say: We are open", "    outcome: told\n    say: We are open")
    issues = lint(text)
    assert codes(issues) == ["guessed-outcome"]
    assert issues[0].severity == "warning"
    assert "reports guess contained" in issues[0].message
    assert issues[0].node == "hours"


def test_a_declared_or_built_in_label_is_not_guessed() -> None:
    declared = "    outcome: {label: told, counts_as: contained}\n    say: We are open"
    assert lint(BASE.replace("    say: We are open", declared)) == []
    built_in = "    outcome: hours\n    say: We are open"
    assert lint(BASE.replace("    say: We are open", built_in)) == []


def test_counts_as_must_be_a_category() -> None:
    text = BASE.replace(
        "    say: We are open", "    outcome: {label: told, counts_as: happy}\n    say: We are open"
    )
    assert codes(lint(text)) == ["invalid-tree"]


def test_one_label_declared_two_ways_is_a_warning() -> None:
    text = BASE.replace(
        "    say: We are open",
        "    outcome: {label: told, counts_as: contained}\n    say: We are open",
    ).replace(
        "    hangup: {say: Goodbye.}",
        "    outcome: {label: told, counts_as: abandoned}\n    hangup: {say: Goodbye.}",
    )
    issues = lint(text)
    assert codes(issues) == ["odd-outcome"]
    assert "counts as abandoned" in issues[0].message and "contained" in issues[0].message
