"""The simple clock: ``now()`` and ``sleep()``, injected wherever code reads the time, so tests
move time by hand instead of waiting for it.

:class:`SystemClock` is the real one; :class:`ManualClock` stands still until told to move;
:class:`ShiftedClock` runs with real time but can be moved ahead (a lease or a grace period
passes without waiting it out). The simulator's timelines, which schedule a call's simulated
events, are a different thing and live in the simulator.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "ShiftedClock", "SystemClock"]


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


class ShiftedClock:
    """The wall clock plus an offset that only grows (:meth:`advance`); thread-safe.

    Time flows as in reality, so pacing and timeouts behave as they do in production, but a test
    can make a lease, a claim or a grace period pass at once.
    """

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return datetime.now(UTC) + offset

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta():
            raise ValueError("a ShiftedClock does not go backwards")
        with self._lock:
            self._offset += delta
