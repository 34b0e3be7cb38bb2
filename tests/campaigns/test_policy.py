"""What follows an attempt: retries, their timing, and what ends a contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivrkit.campaigns._model import CampaignSettings
from ivrkit.campaigns._policy import after_summary

NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)
SETTINGS = CampaignSettings(attempts=3, retry_after=1800, jitter=0.2)


def after(status: str, *, label: str | None = None, code: int | None = None, before: int = 0):
    return after_summary(
        status=status,
        label=label,
        pressed=False,
        error_code=code,
        attempts_before=before,
        settings=SETTINGS,
        now=NOW,
        random=lambda: 0.5,
    )


@pytest.mark.parametrize("status", ["BUSY", "NO_ANSWER", "FAILED", "ERROR"])
def test_unreached_callees_are_retried_after_retry_after_plus_jitter(status: str) -> None:
    step = after(status, code=-2001 if status == "ERROR" else None)
    assert step.retry_at == NOW + timedelta(seconds=1800 * 1.1)
    assert step.counted


def test_the_last_allowed_attempt_ends_the_contact_with_its_outcome() -> None:
    step = after("BUSY", before=2)
    assert (step.outcome, step.retry_at, step.counted) == ("busy", None, True)


def test_a_full_trunk_is_retried_at_once_uncounted_and_slows_the_campaign() -> None:
    step = after("ERROR", code=-2010, before=2)
    assert (step.retry_at, step.counted, step.slow_down) == (NOW, False, True)


@pytest.mark.parametrize("label", [None, "resolved"])
def test_a_webhook_the_platform_gave_up_on_slows_the_campaign(label: str | None) -> None:
    # -2002: our webhook server did not answer CALL_ACTION in time, three times. The callee was
    # called (counted, retried as any error), and the campaign stops adding calls for a moment.
    step = after("ERROR", label=label, code=-2002)
    assert step.slow_down and step.counted
    assert step.outcome == (label or "error")
    assert (step.retry_at is None) == (label is not None)


def test_a_permanent_run_time_error_is_not_retried() -> None:
    assert after("ERROR", code=-2004).retry_at is None


def test_a_call_that_reached_the_tree_ends_with_its_outcome() -> None:
    assert (after("COMPLETED", label="resolved").outcome, after("COMPLETED").outcome) == (
        "resolved",
        "no-input",
    )
    assert after("COMPLETED").retry_at is None
