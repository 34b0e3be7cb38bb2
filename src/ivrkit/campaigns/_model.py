"""A campaign's settings and the records the campaign store gives back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

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
    due_at: datetime | None = None
    """When a contact not yet ended may be called next (its window, its retry); None once
    it ended."""

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "number": self.number,
            "variables": self.variables,
            "timezones": self.timezones,
            "state": self.state,
            "outcome": self.outcome,
            "note": self.note,
            "dueAt": self.due_at.isoformat() if self.due_at else None,
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


class WorkerInfo(NamedTuple):
    """A worker running a campaign (``ivrkit campaign run``, or a :class:`Runner`)."""

    worker: str
    host: str
    pid: int


@dataclass(frozen=True)
class CampaignChange:
    """One thing done to a campaign: who, when, what (an edit's setting, before and after)."""

    at: datetime
    actor: str
    action: str
    """created, edited, paused, resumed, cancelled or renamed."""
    setting: str | None = None
    old: str | None = None
    new: str | None = None

    def describe(self) -> str:
        """``rate 5/s → 2/s``, ``paused``, ``renamed spring → spring~3``."""
        if self.action == EDITED:
            return f"{self.setting} {self.old or '-'} → {self.new or '-'}"
        if self.action == RENAMED:
            return f"renamed {self.old} → {self.new}"
        return self.action

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "setting": self.setting,
            "old": self.old,
            "new": self.new,
        }


# Change actions.
CREATED = "created"
EDITED = "edited"
RENAMED = "renamed"
STATE_ACTIONS = {PAUSED: "paused", ACTIVE: "resumed", CANCELLED: "cancelled"}


@dataclass(frozen=True)
class Wait:
    """Why a campaign places no call now, and until when (``until``: None when it depends on
    something else: a call in progress ending, someone resuming)."""

    kind: str
    """window, retry, start, pacing, hold, busy, calls, paused or nothing."""
    until: datetime | None
    zone: str
    """The zone of the contacts waited for (UTC when none): times are shown in it and in UTC."""
    contacts: int = 0
    detail: str = ""

    def describe(self) -> str:
        """One line: what the campaign waits for, and until when (its zone and UTC)."""
        at = f" at {when(self.until, self.zone)}" if self.until is not None else ""
        n = f"{self.contacts} contact(s)"
        text = {
            WAIT_WINDOW: f"the calling window ({self.detail}) opens{at} for {n}",
            WAIT_RETRY: f"retry of {n} due{at}",
            WAIT_START: f"the campaign's start{at} ({n})",
            WAIT_PACING: f"the next pacing slot{at} ({self.detail})",
            WAIT_HOLD: f"the platform's 429 hold ends{at}",
            WAIT_BUSY: f"a call to end: {self.detail}",
            WAIT_CALLS: f"{self.detail} to end",
            WAIT_PAUSED: f"`ivrkit campaign resume`: {self.detail}",
            WAIT_NOTHING: "nothing: no contact can be called again",
        }[self.kind]
        return f"waiting for {text}"

    def key(self) -> tuple[str, datetime | None]:
        """What a change of reason is: the kind and, for a timed wait, its time."""
        return (self.kind, self.until)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "until": self.until.isoformat() if self.until else None,
            "zone": self.zone,
            "contacts": self.contacts,
            "detail": self.detail,
            "text": self.describe(),
        }


WAIT_WINDOW = "window"
WAIT_RETRY = "retry"
WAIT_START = "start"
WAIT_PACING = "pacing"
WAIT_HOLD = "hold"
WAIT_BUSY = "busy"
WAIT_CALLS = "calls"
WAIT_PAUSED = "paused"
WAIT_NOTHING = "nothing"


def when(moment: datetime, zone: str) -> str:
    """``2026-03-03 09:00 Asia/Singapore (01:00 UTC)``: a time in a zone and in UTC."""
    utc = moment.astimezone(UTC)
    if zone == "UTC":
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    local = moment.astimezone(ZoneInfo(zone))
    day = "" if local.date() == utc.date() else f"{utc:%Y-%m-%d} "
    return f"{local:%Y-%m-%d %H:%M} {zone} ({day}{utc:%H:%M} UTC)"


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
    """Until the contacts due are called once, given the pacing, the concurrency limit and the
    calling windows (retries not yet known add to it); None when nothing will call them."""
    next_due: datetime | None = None
    """When the next contact may be called (now, or a window's opening, a retry, the start)."""
    zone: str = "UTC"
    """The zone of the next contact due: ``next_due`` and ``eta`` are shown in it and in UTC."""
    wait: Wait | None = None
    """Why no call is placed now; None while calls are placed."""
    eta: datetime | None = None
    changes: list[CampaignChange] = field(default_factory=list)
    """What was done to the campaign, oldest first."""

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
            "eta": self.eta.isoformat() if self.eta else None,
            "nextDue": self.next_due.isoformat() if self.next_due else None,
            "zone": self.zone,
            "waiting": self.wait.to_json() if self.wait else None,
            "changes": [change.to_json() for change in self.changes],
        }
