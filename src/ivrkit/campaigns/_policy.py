"""What follows an attempt: the contact's outcome, or a retry and when (the campaign's rules
on retries, apart from the machinery that applies them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ivrkit import _outcomes as outcomes
from ivrkit.campaigns._model import CampaignSettings

TRUNK_FULL = -2010
"""The platform's trunk was full: not the callee's doing, so retried at once and not counted."""

PERMANENT_CODES = frozenset({-2003, -2004, -2007, -2008, -2009})
"""Run-time errors a retry cannot fix (invalid callflow, no coverage, expired, caller ID not
whitelisted, bad scenario)."""

VCA_FAILURE = -2002
"""The platform gave up on our webhook server (no answer to CALL_ACTION, three times): the server
is behind, so the campaign slows down rather than send it more calls."""

INVALID_NUMBER = -1017
UNKNOWN = "unknown"
"""Outcome of a placed call whose summary never came."""


@dataclass(frozen=True)
class Next:
    outcome: str | None
    retry_at: datetime | None
    """None: the contact ends with ``outcome``."""
    counted: bool
    """Whether the attempt counts toward ``attempts``."""
    slow_down: bool = False


def after_summary(
    *,
    status: str,
    label: str | None,
    pressed: bool,
    error_code: int | None,
    attempts_before: int,
    settings: CampaignSettings,
    now: datetime,
    random: Callable[[], float],
) -> Next:
    """What follows a session's summary for its contact."""
    outcome = outcomes.derive(status, label, digits=["x"] if pressed else [])
    assert outcome is not None  # a summary was received
    if error_code == TRUNK_FULL and label is None:
        return Next(outcome, now, counted=False, slow_down=True)
    if outcome not in outcomes.NOT_REACHED:
        after = Next(outcome, None, counted=True)
    elif error_code is not None and error_code in PERMANENT_CODES:
        after = Next(outcome, None, counted=True)
    else:
        after = retry(outcome, attempts_before, settings, now, random)
    return replace(after, slow_down=True) if error_code == VCA_FAILURE else after


def retry(
    outcome: str,
    attempts_before: int,
    settings: CampaignSettings,
    now: datetime,
    random: Callable[[], float],
) -> Next:
    """A counted attempt that did not reach the callee: again after ``retry_after`` (plus up to
    ``jitter`` of it), unless it was the last one allowed."""
    if attempts_before + 1 >= settings.attempts:
        return Next(outcome, None, counted=True)
    delay = settings.retry_after * (1.0 + settings.jitter * random())
    return Next(outcome, now + timedelta(seconds=delay), counted=True)
