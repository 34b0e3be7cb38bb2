"""A campaign's settings and the records the campaign store gives back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ivrkit.campaigns._windows import CallingWindow
from ivrkit.errors import ConfigError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"

# Campaign states.
ACTIVE = "active"
PAUSED = "paused"
CANCELLED = "cancelled"
DONE = "done"

# Contact states.
PENDING = "pending"
"""Waiting for its due time (and its calling window)."""
CLAIMED = "claimed"
"""A worker took it and is about to call (the claim expires)."""
CALLING = "calling"
"""An attempt is placed (or being placed); its summary decides what follows."""
ENDED = "ended"
"""Finished with an outcome."""
SKIPPED = "skipped"
"""Never dialled: on the do-not-call list."""
CONTACT_CANCELLED = "cancelled"

OPEN_STATES = (PENDING, CLAIMED, CALLING)

# Attempt states.
PLACING = "placing"
"""Recorded before Send Callflow: if its worker dies, the call may or may not exist."""
PLACED = "placed"
"""The platform created the session; waiting for its summary."""
ATTEMPT_ENDED = "ended"
NOT_PLACED = "not-placed"
"""No call was made (429, or found never placed after a worker died): not counted."""

DNC_OUTCOME = "do-not-call"
NO_WINDOW_OUTCOME = "no-window"
EXPIRED_OUTCOME = "expired"
CANCELLED_OUTCOME = "cancelled"

_DURATION = re.compile(r"^(\d{1,12}(?:\.\d{1,9})?)(ms|s|m|h|d)?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_DURATION = 366 * 86400.0
"""Longest wait a campaign setting takes (a year): a longer one is a typo, and far longer ones
overflow the date arithmetic of every worker."""


def parse_duration(text: str) -> float:
    """``30m``, ``90s``, ``2h``, ``1.5`` (seconds) → seconds, at most :data:`MAX_DURATION`."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ConfigError(f"{text[:40]!r} is not a duration (e.g. 30m, 90s, 2h)")
    seconds = float(match[1]) * _UNITS[match[2] or "s"]
    if seconds > MAX_DURATION:
        raise ConfigError(f"{text[:40]!r} is longer than a campaign waits: at most 366d")
    return seconds


MIN_RATE = 1 / 3600
"""Fewest calls a second a campaign paces (one an hour): slots 1/rate apart must stay dates."""
MAX_RATE = 10_000.0


def parse_rate(text: str) -> float:
    """``10/s``, ``600/m``, ``10`` → calls per second."""
    number, _, unit = text.strip().partition("/")
    per = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}.get(unit.strip())
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if per is None or not value > 0:
        raise ConfigError(f"rate {text[:40]!r} is not calls per second (e.g. 10/s, 300/m)")
    if not MIN_RATE <= value / per <= MAX_RATE:
        raise ConfigError(
            f"rate {text[:40]!r} is outside one call an hour (1/h) to {MAX_RATE:,.0f} a second"
        )
    return value / per


class CampaignSettings(BaseModel):
    """How a campaign calls; stored with it as JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flow: str = "simple_ivr"
    rate: float = Field(
        default=5.0, ge=MIN_RATE, le=MAX_RATE, description="Most calls placed per second."
    )
    max_concurrent: int = Field(default=10, ge=1, le=100_000)
    window: str = "09:00-20:00"
    days: str = "mon-sun"
    attempts: int = Field(default=3, ge=1, le=100)
    retry_after: float = Field(
        default=1800.0, ge=0, le=MAX_DURATION, description="Seconds before a retry."
    )
    jitter: float = Field(default=0.2, ge=0, le=1, description="Up to this share added at random.")
    start: datetime | None = None
    end: datetime | None = None
    region: str = "SG"
    claim_seconds: float = Field(default=60.0, gt=0, le=MAX_DURATION)
    """How long a claim holds before another worker may take the contact."""
    placing_grace: float = Field(default=120.0, gt=0, le=MAX_DURATION)
    """After a worker died mid-send, how long to wait for a trace of the call before deciding
    it was never placed."""
    worker_lease: float = Field(default=30.0, gt=0, le=MAX_DURATION)
    """A worker silent for this long is gone: on SQLite another may then start."""
    summary_timeout: float = Field(default=3600.0, gt=0, le=MAX_DURATION)
    """A placed call with no summary after this long ends as ``unknown`` (and may be retried)."""

    @model_validator(mode="after")
    def _coherent(self) -> CampaignSettings:
        self.calling_window()
        for moment in (self.start, self.end):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("start and end need a time zone (e.g. 2026-03-01T09:00+08:00)")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end is not after start")
        return self

    def calling_window(self) -> CallingWindow:
        return CallingWindow.parse(self.window, self.days)


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    state: str
    settings: CampaignSettings
    created_at: datetime


@dataclass(frozen=True)
class ClaimedContact:
    """A contact a worker may call now, at ``slot`` (wall time) at the earliest."""

    id: int
    number: str
    variables: dict[str, str]
    attempts: int
    slot: datetime


@dataclass(frozen=True)
class AttemptRecord:
    number: int
    client_request_id: str
    session_id: str | None
    state: str
    status: str | None
    outcome: str | None
    error_code: int | None
    placed_at: datetime
    ended_at: datetime | None
    note: str | None = None


@dataclass(frozen=True)
class ContactReport:
    line: int
    number: str
    variables: dict[str, str]
    timezones: list[str]
    state: str
    outcome: str | None
    attempts: list[AttemptRecord] = field(default_factory=list)
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "number": self.number,
            "variables": self.variables,
            "timezones": self.timezones,
            "state": self.state,
            "outcome": self.outcome,
            "note": self.note,
            "attempts": [
                {
                    "attempt": a.number,
                    "clientRequestId": a.client_request_id,
                    "sessionId": a.session_id,
                    "state": a.state,
                    "status": a.status,
                    "outcome": a.outcome,
                    "errorCode": a.error_code,
                    "placedAt": a.placed_at.isoformat(),
                    "endedAt": a.ended_at.isoformat() if a.ended_at else None,
                    "note": a.note,
                }
                for a in self.attempts
            ],
        }


@dataclass(frozen=True)
class CampaignStatus:
    name: str
    state: str
    total: int
    by_state: dict[str, int]
    by_outcome: dict[str, int]
    calls_placed: int
    rate_per_minute: float
    """Calls placed in the last ten minutes, per minute."""
    eta_seconds: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "total": self.total,
            "byState": self.by_state,
            "byOutcome": self.by_outcome,
            "callsPlaced": self.calls_placed,
            "ratePerMinute": self.rate_per_minute,
            "etaSeconds": self.eta_seconds,
        }
