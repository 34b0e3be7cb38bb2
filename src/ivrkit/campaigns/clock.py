"""The campaign's sense of time: calling windows, retry times and start/end are read from a
:class:`Clock`, so tests and the demo move time by hand with a :class:`ManualClock`."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time (aware, UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time (a manual clock only yields the thread)."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))


class ManualClock:
    """A clock that moves only when told to (:meth:`advance`, :meth:`set`); thread-safe.

    :meth:`sleep` does not move it: it waits a little real time (so real calls can end meanwhile)
    and returns, leaving the time to the test.
    """

    def __init__(self, start: datetime, *, real_pause: float = 0.01) -> None:
        if start.tzinfo is None:
            raise ValueError("a ManualClock starts at an aware datetime")
        self._now = start.astimezone(UTC)
        self._pause = real_pause
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        time.sleep(min(max(seconds, 0.0), self._pause))

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)
