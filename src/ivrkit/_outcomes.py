"""What a session ended with: the one definition of a session's outcome, for the CLI, the
dashboard, lint, campaigns, replay and analytics alike.

A tree node may carry ``outcome: <label>`` (``resolved``, ``agent``); a session's outcome is the
last labelled node it reached. A session that reached none gets an outcome derived from its
summary: ``busy``, ``no-answer``, ``failed``, ``error`` when the call did not go through, else
``no-input`` (answered, nothing pressed) or ``hung-up`` (pressed something, then left before any
labelled node). A session without a summary has no outcome yet (None), whatever label it has
reached so far: the caller may go on to another.

:func:`derive` is the rule; the store's session filter is its SQL form
(``ivrkit.dashboard._browse``), and tests/test_outcomes.py checks the two agree on every case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

__all__ = [
    "CATEGORIES",
    "DERIVED",
    "LABEL_PATTERN",
    "NOT_REACHED",
    "category",
    "derive",
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

TRANSFER_LABELS: Final = frozenset({"agent", "transfer", "transferred", "operator"})
"""Labels that mean the caller was handed to a person, whatever node carries them."""

_ABANDONED: Final = frozenset({HUNG_UP, NO_INPUT})


def category(outcome: str | None, *, on_transfer: bool = False) -> str:
    """The category of a session from its outcome (:func:`derive`; None: in progress) and
    whether its label is on a transfer node.

    transferred: a label on a transfer node, or agent/transfer/transferred/operator; contained:
    any other label; abandoned: ``hung-up`` and ``no-input`` (the caller left inside the IVR);
    failed: ``busy``, ``no-answer``, ``failed``, ``error``.
    """
    if outcome is None:
        return IN_PROGRESS_CATEGORY
    if outcome in _ABANDONED:
        return ABANDONED
    if outcome in NOT_REACHED:
        return FAILED
    if on_transfer or outcome.lower() in TRANSFER_LABELS:
        return TRANSFERRED
    return CONTAINED
