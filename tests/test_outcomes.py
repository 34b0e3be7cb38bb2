"""The one definition of a session's outcome."""

from __future__ import annotations

import pytest

from ivrkit import _outcomes as outcomes
from ivrkit.store import IN_PROGRESS


@pytest.mark.parametrize(
    ("status", "label", "digits", "expected"),
    [
        (IN_PROGRESS, None, [], None),
        (IN_PROGRESS, "agent", ["2"], None),  # no outcome yet: the caller may go on
        ("COMPLETED", "resolved", ["1"], "resolved"),
        ("BUSY", "agent", ["2"], "agent"),  # the agent's line was busy: the customer chose
        ("BUSY", None, [], "busy"),
        ("NO_ANSWER", None, [], "no-answer"),
        ("FAILED", None, [], "failed"),
        ("CANCELED", None, [], "failed"),
        ("ERROR", None, [], "error"),
        ("COMPLETED", None, [], "no-input"),
        ("COMPLETED", None, ["", ""], "no-input"),
        ("COMPLETED", None, ["7"], "hung-up"),
    ],
)
def test_an_outcome_is_the_label_else_derived_from_the_summary(
    status: str, label: str | None, digits: list[str], expected: str | None
) -> None:
    assert outcomes.derive(status, label, digits=digits) == expected


def test_labels_are_short_words() -> None:
    assert outcomes.is_label("resolved")
    assert outcomes.is_label("agent.callback_2")
    assert not outcomes.is_label("")
    assert not outcomes.is_label("two words")
    assert not outcomes.is_label("x" * 41)


def test_the_tree_language_knows_the_same_categories() -> None:
    from typing import get_args

    from ivrkit.trees._model import CountsAs

    assert get_args(CountsAs) == outcomes.CATEGORIES


@pytest.mark.parametrize(
    ("outcome", "declared", "on_transfer", "expected"),
    [
        (None, None, False, "in_progress"),
        ("gave-up", None, False, "abandoned"),  # the starter's: never self-service
        ("closed", None, False, "abandoned"),  # out of hours: the caller was not served
        ("agent", None, False, "transferred"),
        ("resolved", None, False, "contained"),
        ("Gave_Up", None, False, "abandoned"),
        ("told", None, False, "contained"),  # guessed
        ("desk", None, True, "transferred"),  # guessed from its transfer node
        ("closed", "failed", False, "failed"),  # a declaration wins over the built-in
        ("agent", "contained", True, "contained"),
        ("hung-up", "contained", False, "abandoned"),  # derived outcomes are not labels
        ("busy", None, False, "failed"),
    ],
)
def test_a_label_counts_as_its_declared_category_else_its_built_in_one(
    outcome: str | None, declared: str | None, on_transfer: bool, expected: str
) -> None:
    assert outcomes.category(outcome, declared=declared, on_transfer=on_transfer) == expected


def test_only_unknown_undeclared_labels_are_guessed() -> None:
    assert outcomes.is_guessed("told")
    assert not outcomes.is_guessed("told", declared="contained")
    assert not outcomes.is_guessed("gave-up")
