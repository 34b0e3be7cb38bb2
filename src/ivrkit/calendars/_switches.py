"""The emergency "closed now" switch: what it says, wherever it is kept (the store keeps it; see
:mod:`ivrkit.store._calendars`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ALL_CALENDARS = "*"
"""The calendar name of a switch that closes every calendar."""


@dataclass(frozen=True)
class Switch:
    """One calendar's switch (or every calendar's, :data:`ALL_CALENDARS`)."""

    calendar: str
    closed: bool
    reason: str | None
    changed_at: datetime

    def describe(self) -> str:
        who = "every calendar" if self.calendar == ALL_CALENDARS else self.calendar
        why = f": {self.reason}" if self.reason else ""
        return f"emergency switch on for {who} since {self.changed_at:%Y-%m-%d %H:%M} UTC{why}"
