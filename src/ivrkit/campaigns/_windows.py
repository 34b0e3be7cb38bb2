"""Calling windows in the callee's local time: a daily span (``09:00-20:00``) on some days,
held in every time zone a number may be in, computed with :mod:`zoneinfo` (so DST is exact)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ivrkit.errors import ConfigError
from ivrkit.trees._model import DAYS, expand_days

_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_SEARCH_STEPS = 64
"""Most window hops :meth:`CallingWindow.next_open` makes (several zones may disagree)."""


@dataclass(frozen=True)
class CallingWindow:
    """Callable from ``start`` to ``end`` local time on ``days`` (Monday is 0)."""

    start: time
    end: time
    """Exclusive; ``24:00`` is written as ``time.max``."""
    days: frozenset[int]

    @classmethod
    def parse(cls, span: str = "09:00-20:00", days: str = "mon-sun") -> CallingWindow:
        match = _SPAN.match(span.strip())
        if match is None:
            raise ConfigError(f"window {span!r} is not HH:MM-HH:MM (e.g. 09:00-20:00)")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        start = time(h1, m1)
        end = time.max if (h2, m2) == (24, 0) else time(h2, m2)
        if end <= start:
            raise ConfigError(f"window {span!r} ends before it starts (no window crosses midnight)")
        try:
            found = expand_days(days)
        except ValueError as exc:
            raise ConfigError(f"--days {days!r}: {exc}") from exc
        return cls(start, end, frozenset(found))

    def describe(self) -> str:
        end = "24:00" if self.end == time.max else self.end.strftime("%H:%M")
        runs: list[list[int]] = []
        for day in sorted(self.days):
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        names = ",".join(
            DAYS[run[0]] if len(run) == 1 else f"{DAYS[run[0]]}-{DAYS[run[-1]]}" for run in runs
        )
        return f"{self.start.strftime('%H:%M')}-{end} {names}"

    def is_open(self, moment: datetime, zones: Sequence[str]) -> bool:
        """Whether ``moment`` is inside the window in every one of ``zones``."""
        return all(self._open_in(moment, zone) for zone in zones)

    def next_open(self, moment: datetime, zones: Sequence[str]) -> datetime | None:
        """The first instant at or after ``moment`` inside the window in every zone (the
        narrowest common window); None when there is none in the next weeks (zones too far
        apart for the span)."""
        current = moment.astimezone(UTC)
        for _ in range(_SEARCH_STEPS):
            closed = [zone for zone in zones if not self._open_in(current, zone)]
            if not closed:
                return current
            current = max(self._next_open_in(current, zone) for zone in closed)
            if current - moment > timedelta(days=21):
                return None
        return None

    def closes_at(self, moment: datetime, zones: Sequence[str]) -> datetime:
        """When the window open at ``moment`` closes first in one of ``zones`` (a window open
        until 24:00 closes at midnight, and may open again at once)."""
        ends: list[datetime] = []
        for zone in zones:
            tz = ZoneInfo(zone)
            day = moment.astimezone(tz).date()
            if self.end == time.max:
                ends.append(_local_start(day + timedelta(days=1), time(0, 0), tz))
            else:
                ends.append(_local_start(day, self.end, tz))
        later = [end for end in ends if end > moment]
        return min(later) if later else moment + timedelta(days=1)

    def _open_in(self, moment: datetime, zone: str) -> bool:
        local = moment.astimezone(ZoneInfo(zone))
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def _next_open_in(self, moment: datetime, zone: str) -> datetime:
        """The next opening in one zone strictly after ``moment`` (which is closed there)."""
        tz = ZoneInfo(zone)
        local = moment.astimezone(tz)
        for offset in range(9):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            opening = _local_start(day, self.start, tz)
            if opening > moment:
                return opening
        return moment + timedelta(days=7)


def _local_start(day: date, start: time, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` at or after ``start`` local time, in UTC. A start inside a
    DST gap (02:30 on a spring-forward day) opens when the clock jumps (03:00); an ambiguous
    start (in the repeated hour) opens at its first occurrence."""
    first = datetime.combine(day, start, tzinfo=tz)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == first.replace(tzinfo=None):
        return first.astimezone(UTC)
    low = first.replace(fold=1).astimezone(UTC)  # before the jump
    high = first.astimezone(UTC)  # after it
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        local = middle.astimezone(tz)
        if local.date() > day or (local.date() == day and local.time() >= start):
            high = middle
        else:
            low = middle
    return high
