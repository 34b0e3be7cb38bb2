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
