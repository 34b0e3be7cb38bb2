"""Outcome labels on tree nodes: the model, the engine and lint."""

from __future__ import annotations

import pytest

from ivrkit.errors import TreeError
from ivrkit.trees import load_tree, parse_tree
from ivrkit.trees._lint import lint_text
from tests.trees.test_engine import event

TREE = """
name: labelled
numbers: {caller_id: "6561115777", agent: "6561115999"}
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 if resolved, 2 for an agent, 3 to hear this again.
      routes: {"1": thanks, "2": agent, "3": main}
  thanks:
    outcome: resolved
    say: {text: Thank you., next: bye}
  bye:
    hangup: {say: Goodbye.}
  agent:
    outcome: agent
    transfer: {to: "{agent}"}
"""


def test_the_simple_ivr_labels_resolved_and_agent() -> None:
    tree = load_tree("simple_ivr")
    assert tree.answer(event("1", "main")).label == "resolved"
    assert tree.answer(event("2", "main")).label == "agent"
    assert tree.answer(event("9", "main")).label is None


def test_the_last_labelled_node_of_a_chain_is_the_label() -> None:
    tree = parse_tree(TREE)
    # thanks (labelled) -> bye (unlabelled): the label passed on the way counts.
    assert tree.answer(event("1", "main")).label == "resolved"
    assert tree.answer(event("3", "main")).label is None


def test_the_restaurant_labels_its_endings() -> None:
    tree = load_tree("restaurant")
    assert tree.answer(event("3", None)).label == "hours"
    assert tree.answer(event("7", None)).label == "invalid-input"


def test_a_label_must_be_a_short_word() -> None:
    with pytest.raises(TreeError, match="outcome"):
        parse_tree(TREE.replace("outcome: agent", "outcome: talk to someone"))


def test_lint_warns_of_a_label_named_like_a_derived_outcome() -> None:
    issues = lint_text(TREE.replace("outcome: agent", "outcome: busy"))
    odd = [issue for issue in issues if issue.code == "odd-outcome"]
    assert len(odd) == 1 and odd[0].severity == "warning"
    assert "'busy'" in odd[0].message and odd[0].node == "agent"


def test_lint_warns_of_two_spellings_of_one_label() -> None:
    issues = lint_text(TREE.replace("outcome: agent", "outcome: Resolved"))
    assert [issue.code for issue in issues if issue.code == "odd-outcome"] == ["odd-outcome"]


def test_lint_is_quiet_about_good_labels() -> None:
    assert [issue.code for issue in lint_text(TREE) if issue.code == "odd-outcome"] == []
