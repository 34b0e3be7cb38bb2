"""Simulated time: the timelines calls live in — real or scaled, instant ("max": no waiting,
virtual time per session) or stepped by hand.

A session asks the simulator's :class:`Timelines` for a :class:`Timeline` and does all its
waiting through it, so one session's code runs unchanged at any speed. Timestamps in webhooks
come from the timeline too. (Not to be confused with the campaigns' ``Clock``, which paces
real work in real time.)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

__all__ = [
    "Timelines",
    "ManualTimeline",
    "InstantTimelines",
    "ScaledTimelines",
    "Timeline",
    "timelines_for_speed",
    "iso_ms",
    "iso_s",
    "race",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_ms(moment: datetime) -> str:
    """``2024-05-16T04:12:11.217Z``: how call events write time."""
    # isoformat of an aware moment ends in "+00:00": cheaper to cut than strftime or replace
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def iso_s(moment: datetime) -> str:
    """``2026-01-13T08:26:58Z``: how session summaries write time (whole seconds)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:-6] + "Z"


class Timeline(ABC):
    """The time one session lives in."""

    waits: ClassVar[bool] = True
    """False for a timeline whose sleeps return at once (nothing can happen meanwhile)."""

    @abstractmethod
    def now(self) -> datetime: ...

    @abstractmethod
    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass."""


class Timelines(ABC):
    """Hands out a timeline per session; ``now()`` dates what is not part of a session (REST
    answers). ``mode`` is how ``/sim/v1/clock`` names it."""

    mode: ClassVar[str]

    @property
    def speed(self) -> float | None:
        """How many simulated seconds pass per real second (None: as fast as possible)."""
        return None

    def now(self) -> datetime:
        return utc_now()

    @abstractmethod
    def timeline(self, *, live: bool = False) -> Timeline:
        """A timeline for a new session; ``live`` when a person takes part (never "max")."""


class _ScaledTimeline(Timeline):
    def __init__(self, speed: float, wall: Callable[[], datetime], mono: Callable[[], float]):
        self._speed = speed
        self._mono = mono
        self._start_wall = wall()
        self._start_mono = mono()

    def now(self) -> datetime:
        elapsed = (self._mono() - self._start_mono) * self._speed
        return self._start_wall + timedelta(seconds=elapsed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self._speed)


class ScaledTimelines(Timelines):
    """Real time (speed 1) or N times faster; each session's time starts at the wall clock."""

    mode = "scaled"

    def __init__(
        self,
        speed: float = 1.0,
        *,
        wall: Callable[[], datetime] = utc_now,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be above 0, got {speed}")
        self._speed = speed
        self._wall = wall
        self._mono = mono

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        return self._wall()

    def timeline(self, *, live: bool = False) -> Timeline:
        return _ScaledTimeline(self._speed, self._wall, self._mono)


class _MaxTimeline(Timeline):
    """Wall time plus every wait skipped so far: ordered, plausible timestamps, no waiting.

    A sleep returns without a turn of the event loop: the session runs on until it sends a
    webhook (its real I/O), so a call costs a handful of loop turns, not one per step."""

    waits = False

    def __init__(self, wall: Callable[[], datetime]) -> None:
        self._wall = wall
        self._skipped = timedelta()

    def now(self) -> datetime:
        return self._wall() + self._skipped

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._skipped += timedelta(seconds=seconds)


class InstantTimelines(Timelines):
    """No waiting at all: a session runs as fast as its webhooks answer.

    A session with a live person (an interactive phone) gets real time instead, since nobody can
    press a key in zero seconds.
    """

    mode = "max"

    def __init__(self, *, wall: Callable[[], datetime] = utc_now) -> None:
        self._wall = wall

    def now(self) -> datetime:
        return self._wall()

    def timeline(self, *, live: bool = False) -> Timeline:
        if live:
            return _ScaledTimeline(1.0, self._wall, time.monotonic)
        return _MaxTimeline(self._wall)


class ManualTimeline(Timelines, Timeline):
    """Time moves only when :meth:`advance` is called: for tests that step through a call.

    Every session shares this one timeline. Sleepers wake in deadline order, each seeing the
    clock at its own deadline, and get a chance to run (and sleep again) before later ones wake.
    """

    mode = "manual"

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or utc_now()).astimezone(UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def timeline(self, *, live: bool = False) -> Timeline:
        return self

    @property
    def pending(self) -> int:
        """How many sleepers wait for time to move."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self._now + timedelta(seconds=seconds), next(self._order), future)
        heapq.heappush(self._sleepers, entry)
        try:
            await future
        finally:
            if not future.done():
                future.cancel()

    async def advance(self, seconds: float) -> datetime:
        """Move time forward by ``seconds``, waking every sleeper whose deadline is reached."""
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        target = self._now + timedelta(seconds=seconds)
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            self._now = max(self._now, deadline)
            future.set_result(None)
            await _settle()
        self._now = target
        return self._now


async def _settle(rounds: int = 20) -> None:
    """Let woken tasks run until they block again (on time or on I/O)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def timelines_for_speed(speed: float | None) -> Timelines:
    """``None`` → :class:`InstantTimelines`; a number → :class:`ScaledTimelines` at that speed."""
    return InstantTimelines() if speed is None else ScaledTimelines(speed)


async def race(timeline: Timeline, work: Coroutine[Any, Any, T], seconds: float) -> T | None:
    """Run ``work`` for at most ``seconds`` of the timeline's time; None when time ran out."""
    task: asyncio.Task[T] = asyncio.ensure_future(work)
    timer: asyncio.Task[None] = asyncio.ensure_future(timeline.sleep(seconds))
    try:
        await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, timer):
            if not pending.done():
                pending.cancel()
        await asyncio.gather(task, timer, return_exceptions=True)
    if task.done() and not task.cancelled() and task.exception() is None:
        return task.result()
    if task.done() and not task.cancelled() and (error := task.exception()) is not None:
        raise error
    return None
