"""What a session ended with: the one definition of a session's outcome, for the CLI, the
dashboard, lint, campaigns, replay and analytics alike.

A tree node may carry ``outcome: <label>`` (``resolved``, ``agent``); a session's outcome is the
last labelled node it reached. A session that reached none gets an outcome derived from its
summary: ``busy``, ``no-answer``, ``failed``, ``error`` when the call did not go through, else
``no-input`` (answered, nothing pressed) or ``hung-up`` (pressed something, then left before any
labelled node). A session without a summary has no outcome yet (None), whatever label it has
reached so far: the caller may go on to another.

An ended session also counts as one of four categories (:data:`CATEGORIES`): contained,
transferred, abandoned or failed. A label's category is declared by its node
(``outcome: {label: gave-up, counts_as: abandoned}``), else built in for common labels
(:data:`COUNTS_AS`), else guessed (:func:`counts_as`) and lint warns.

:func:`derive` is the rule; the store's session filter is its SQL form
(``ivrkit.dashboard._browse``), and tests/test_outcomes.py checks the two agree on every case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

__all__ = [
    "CATEGORIES",
    "COUNTS_AS",
    "DERIVED",
    "LABEL_PATTERN",
    "NOT_REACHED",
    "category",
    "counts_as",
    "derive",
    "is_category",
    "is_guessed",
    "is_label",
]

LABEL_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$"
"""What a node's ``outcome`` may be: a short word (letters, digits, ``_ . -``)."""

BUSY: Final = "busy"
NO_ANSWER: Final = "no-answer"
FAILED: Final = "failed"
ERROR: Final = "error"
NO_INPUT: Final = "no-input"
HUNG_UP: Final = "hung-up"

DERIVED: Final = (NO_INPUT, HUNG_UP, BUSY, NO_ANSWER, FAILED, ERROR)
"""The outcomes a session gets from its summary when it reached no labelled node."""

NOT_REACHED: Final = frozenset({BUSY, NO_ANSWER, FAILED, ERROR})
"""Derived outcomes of a call that never reached the tree's menu: the callee was not spoken to."""

_BY_STATUS: Final = {
    "BUSY": BUSY,
    "NO_ANSWER": NO_ANSWER,
    "FAILED": FAILED,
    "CANCELED": FAILED,
    "ERROR": ERROR,
}

_LABEL = re.compile(LABEL_PATTERN)


def is_label(text: str) -> bool:
    """Whether ``text`` may be a node's outcome label."""
    return _LABEL.match(text) is not None


def derive(
    status: str,
    label: str | None,
    *,
    digits: Sequence[str] = (),
    in_progress: str = "IN_PROGRESS",
) -> str | None:
    """A session's outcome from its status (IN_PROGRESS or the summary's ``sessionStatus``), the
    last outcome label its answers reached, and the digits pressed; None while it is in progress.

    A label wins over the status: a customer who reached ``agent`` keeps that outcome even when
    the agent's line was busy (the summary then says BUSY for the whole session).
    """
    if status == in_progress:
        return None
    if label:
        return label
    derived = _BY_STATUS.get(status)
    if derived is not None:
        return derived
    return HUNG_UP if any(digits) else NO_INPUT


CONTAINED: Final = "contained"
TRANSFERRED: Final = "transferred"
ABANDONED: Final = "abandoned"
IN_PROGRESS_CATEGORY: Final = "in_progress"

CATEGORIES: Final = (CONTAINED, TRANSFERRED, ABANDONED, FAILED)
"""What analytics sorts ended sessions into (``in_progress`` is shown beside them)."""

COUNTS_AS: Final[dict[str, str]] = {
    # handed to a person
    "agent": TRANSFERRED,
    "transfer": TRANSFERRED,
    "transferred": TRANSFERRED,
    "operator": TRANSFERRED,
    "representative": TRANSFERRED,
    # served by the IVR itself
    "resolved": CONTAINED,
    "contained": CONTAINED,
    "done": CONTAINED,
    "hours": CONTAINED,
    "info": CONTAINED,
    "booked": CONTAINED,
    "kept": CONTAINED,
    "rescheduled": CONTAINED,
    "confirmed": CONTAINED,
    "paid": CONTAINED,
    # the caller left, or was sent away, without being served
    "gave-up": ABANDONED,
    "abandoned": ABANDONED,
    "invalid-input": ABANDONED,
    "closed": ABANDONED,
    "out-of-hours": ABANDONED,
    "after-hours": ABANDONED,
    "holiday": ABANDONED,
    "max-retries": ABANDONED,
    "too-many-tries": ABANDONED,
}
"""What common labels count as when their node does not say (``outcome: {label: ..., counts_as:
...}``): a label outside this table whose node declares nothing is guessed, and lint warns."""

TRANSFER_LABELS: Final = frozenset(
    label for label, counted in COUNTS_AS.items() if counted == TRANSFERRED
)
"""Labels that mean the caller was handed to a person, whatever node carries them."""

_ABANDONED: Final = frozenset({HUNG_UP, NO_INPUT})


def is_category(text: str) -> bool:
    """Whether ``text`` is one of :data:`CATEGORIES`."""
    return text in CATEGORIES


def counts_as(label: str, *, declared: str | None = None, on_transfer: bool = False) -> str:
    """The category an ended session with outcome label ``label`` counts as: what its node
    declares (``counts_as``), else the built-in meaning of the label (:data:`COUNTS_AS`), else a
    guess: transferred on a transfer node, contained elsewhere (lint warns of the guess)."""
    if declared is not None:
        return declared
    known = COUNTS_AS.get(label.lower().replace("_", "-"))
    if known is not None:
        return known
    return TRANSFERRED if on_transfer else CONTAINED


def is_guessed(label: str, *, declared: str | None = None) -> bool:
    """Whether :func:`counts_as` guesses the category of ``label`` (nothing declared, not
    built in)."""
    return declared is None and label.lower().replace("_", "-") not in COUNTS_AS


def category(outcome: str | None, *, on_transfer: bool = False, declared: str | None = None) -> str:
    """The category of a session from its outcome (:func:`derive`; None: in progress), whether
    its label is on a transfer node, and what that node declares the label counts as.

    Derived outcomes: abandoned for ``hung-up`` and ``no-input`` (the caller left inside the
    IVR), failed for ``busy``, ``no-answer``, ``failed``, ``error``. A label: its declared
    category, else its built-in one, else a guess (:func:`counts_as`).
    """
    if outcome is None:
        return IN_PROGRESS_CATEGORY
    if outcome in _ABANDONED:
        return ABANDONED
    if outcome in NOT_REACHED:
        return FAILED
    return counts_as(outcome, declared=declared, on_transfer=on_transfer)
