"""The switch reader: cached for its ttl, read in a thread of its own, never waited on for
longer than its wait, and never again while one read hangs; a failed read keeps the last
switches. Its clock is injected: no test here depends on how fast the machine is."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from ivrkit.calendars import Switch
from ivrkit.errors import StoreError
from ivrkit.server._switches import SwitchReader

ON = {"support": Switch("support", True, "flood", datetime(2026, 12, 1, tzinfo=UTC))}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_switches_are_read_again_only_after_the_ttl() -> None:
    reads: list[int] = []
    answers = [{}, ON]

    def read() -> dict[str, Switch]:
        reads.append(1)
        return answers[len(reads) - 1]

    clock = Clock()
    reader = SwitchReader(read, ttl=2.0, wait=30.0, clock=clock)

    async def scenario() -> None:
        assert await reader.fresh() == {}
        clock.now += 1.9
        assert await reader.fresh() == {}  # cached: ON is not read yet
        assert len(reads) == 1
        clock.now += 0.1
        assert await reader.fresh() == ON
        assert len(reads) == 2

    asyncio.run(scenario())


def test_a_hung_read_is_waited_for_once_then_answered_from_the_last_switches() -> None:
    release = threading.Event()
    started = threading.Event()
    calls: list[int] = []

    def read() -> dict[str, Switch]:
        calls.append(1)
        if len(calls) == 1:
            return ON
        started.set()
        release.wait(30)  # a store that hangs until the test lets it go
        return {}

    clock = Clock()
    reader = SwitchReader(read, ttl=2.0, wait=0.05, clock=clock)

    async def scenario() -> None:
        assert await reader.fresh() == ON
        clock.now += 5
        assert await reader.fresh() == ON  # waited at most `wait`, then the last switches
        assert started.is_set()
        clock.now += 1  # the read still hangs: nobody waits for it any more
        assert answered_without_waiting(reader) == ON
        assert len(calls) == 2  # and no second read was started beside the hung one
        release.set()
        for _ in range(200):
            if reader.current == {}:
                break
            await asyncio.sleep(0.01)
        assert reader.current == {}  # the hung read came back: its answer is used

    asyncio.run(scenario())


def answered_without_waiting(reader: SwitchReader) -> object:
    """What ``fresh()`` returns when it completes without suspending even once (it fails the
    test when it would wait for anything)."""
    coroutine = reader.fresh()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise AssertionError("fresh() waited")


def test_a_failed_read_keeps_the_last_switches_until_the_next_ttl() -> None:
    results: list[dict[str, Switch] | Exception] = [ON, StoreError("down"), {}]

    def read() -> dict[str, Switch]:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    clock = Clock()
    reader = SwitchReader(read, ttl=2.0, wait=30.0, clock=clock)

    async def scenario() -> None:
        assert await reader.fresh() == ON
        clock.now += 2
        assert await reader.fresh() == ON  # the store failed: the switch stays as it was
        clock.now += 1
        assert await reader.fresh() == ON  # no retry before the ttl
        assert len(results) == 1
        clock.now += 1
        assert await reader.fresh() == {}

    asyncio.run(scenario())
