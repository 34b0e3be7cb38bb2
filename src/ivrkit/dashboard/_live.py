"""The live stream (server-sent events): ``session-started`` when a call appears in the store,
``session-ended`` when its summary does.

The streams of one process look at the store together: every ``poll_interval`` seconds, on the
same ticks of the clock, the feed reads what changed since its own position (two reads by primary
key: new session rows, new summaries) and renders it once; every stream at that position sends
the same text, however many are open. A stream resumed from an older id reads its own way up to
the feed's position, then joins the others (a new stream starts there). At most ``max_streams``
are open per process; one more is answered 503 with ``Retry-After``, saying so (500 streams each
querying and rendering on its own had made webhook answers 15 to 20 times slower).

A stream ends when its client goes, when :meth:`LiveFeed.close` is called (the server is
stopping: within one tick), or after ``stream_lifetime`` seconds; every event carries an id, so
the browser's automatic reconnection resumes exactly where the stream stopped.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from ivrkit._masking import mask_number
from ivrkit.dashboard._browse import Browser, Changes
from ivrkit.dashboard._settings import DashboardSettings
from ivrkit.store._records import SessionRecord

__all__ = ["LiveFeed", "event_data", "parse_mark"]

RETRY_MS = 1000
FULL_RETRY_S = 30
HISTORY = 64
"""Ticks of changes the feed keeps, rendered: a stream that fell behind by fewer catches up from
them without a read of its own."""
CATCH_UP = 128
"""Most log rows the feed's read of a tick projects first (one small transaction, as the
server's projector makes them): under load the projections trail the log by up to a second,
thousands of rows, and projecting all of them at every tick held the writers and the core for
hundreds of milliseconds, making webhook p99 four to eight times worse with one stream open. The
rest shows at a later tick, once the projector has projected it."""
SPREAD = 0.5
"""Part of a tick over which the streams send: each wakes at its own point of the first
``SPREAD`` of every tick. Woken all at once, 500 streams held the event loop for tens of
milliseconds every tick (the webhook answers waiting behind them: p99 3 to 4 times worse)."""
_GOLDEN = 0.6180339887498949
"""Seconds a client refused for too many open streams is told to wait (``Retry-After``)."""


def parse_mark(text: str | None) -> tuple[int, int] | None:
    """The position a ``Last-Event-ID`` (``"<session row>-<summary row>"``) names, if valid."""
    if not text:
        return None
    parts = text.split("-")
    if len(parts) != 2 or not all(part.isdigit() and len(part) < 20 for part in parts):
        return None
    return int(parts[0]), int(parts[1])


def event_data(record: SessionRecord, *, show_numbers: bool) -> dict[str, Any]:
    return {
        "session_id": record.session_id,
        "flow": record.flow,
        "status": record.status,
        "outcome": record.outcome,
        "customer": mask_number(record.customer, show=show_numbers),
        "started_at": record.started_at.isoformat() if record.started_at else None,
        "duration_seconds": record.duration_seconds,
    }


class _Tick:
    """The feed's one look at the store during one tick, which every stream waits for."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.done = anyio.Event()
        self.error: Exception | None = None


class _Counted(StreamingResponse):
    """A streaming response that says when it is over, however it ends."""

    def __init__(self, content: AsyncIterator[str], over: Callable[[], None], **kw: Any) -> None:
        super().__init__(content, **kw)
        self._over = over

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._over()


class LiveFeed:
    """Serves the streams of one dashboard; :meth:`close` ends every open one."""

    def __init__(self, browser: Browser, settings: DashboardSettings) -> None:
        self.browser = browser
        self.settings = settings
        self._closed = threading.Event()  # set from a signal handler as well: a thread event
        self.open_streams = 0
        self.queries = 0
        """Looks at the store made for the streams (one per tick, and one per stream behind)."""
        self._head: tuple[int, int] | None = None
        """The feed's position: what every stream caught up has sent."""
        self._history: deque[tuple[tuple[int, int], tuple[int, int], str]] = deque(maxlen=HISTORY)
        """(from, to, rendered frame) of the latest ticks that saw changes, oldest first."""
        self._tick_state: _Tick | None = None
        self._streams_begun = 0

    def close(self) -> None:
        self._closed.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def endpoint(self, request: Request) -> Response:
        limit = self.settings.max_streams
        if self.open_streams >= limit:
            return PlainTextResponse(
                f"the dashboard has {limit} live streams open in this process, its limit: the "
                "page still works, live updates come back when one closes",
                status_code=503,
                headers={"retry-after": str(FULL_RETRY_S), "cache-control": "no-store"},
            )
        self.open_streams += 1  # counted before any await: the limit holds under a burst
        try:
            mark = parse_mark(request.headers.get("last-event-id")) or self._head
            if mark is None:
                mark = await anyio.to_thread.run_sync(self.browser.mark)
        except BaseException:
            self._stream_over()
            raise
        return _Counted(
            self._events(mark),
            self._stream_over,
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    def _stream_over(self) -> None:
        self.open_streams -= 1

    async def _events(self, mark: tuple[int, int]) -> AsyncIterator[str]:
        # A client that goes is noticed by the response (it listens for the disconnect and
        # cancels this), or by the next write failing.
        settings = self.settings
        phase = self._next_phase()
        yield f"retry: {RETRY_MS}\nid: {mark[0]}-{mark[1]}\n: connected\n\n"
        with anyio.move_on_after(settings.stream_lifetime):
            while not self.closed:
                frame, mark = await self.step(mark, self._tick())
                yield frame or ": idle\n\n"  # a comment: finds a client that has gone
                await self._next_tick(phase)

    def _next_phase(self) -> float:
        """Seconds into every tick a new stream wakes: successive streams fall evenly over the
        first ``SPREAD`` of the tick (each in the widest gap the ones before it left)."""
        self._streams_begun += 1
        return (self._streams_begun * _GOLDEN) % 1.0 * SPREAD * self.settings.poll_interval

    def _tick(self) -> int:
        return math.floor(time.monotonic() / self.settings.poll_interval)

    async def _next_tick(self, phase: float = 0.0) -> None:
        """Sleep until ``phase`` seconds into the next tick every stream of this process shares
        (or until closed)."""
        interval = self.settings.poll_interval
        until = (self._tick() + 1) * interval + phase
        while not self.closed:
            left = until - time.monotonic()
            if left <= 0:
                return
            await anyio.sleep(min(left, 1.0))

    async def step(self, mark: tuple[int, int], tick: int) -> tuple[str | None, tuple[int, int]]:
        """(what to send, the new mark) for a stream at ``mark`` during ``tick``."""
        await self._advance(tick)
        head = self._head
        if head is None or mark == head:
            return None, mark
        frames: list[str] = []
        for before, _after, frame in reversed(self._history):
            frames.append(frame)
            if before == mark:
                return "".join(reversed(frames)), head
        # Behind what the feed keeps (resumed from an old id): read up to the feed's position.
        self.queries += 1
        # Everything up to the feed's position is projected already: no catch-up.
        changes = await anyio.to_thread.run_sync(
            lambda: self.browser.changes(mark, until=head, catch_up=0)
        )
        return (self._frame(changes) if changes.started or changes.ended else None), changes.mark

    async def _advance(self, tick: int) -> None:
        """Move the feed's position once per tick; every stream of the tick waits for it."""
        state = self._tick_state
        if state is not None and state.number == tick:
            await state.done.wait()
        else:
            state = self._tick_state = _Tick(tick)
            self.queries += 1
            try:
                if self._head is None:
                    self._head = await anyio.to_thread.run_sync(self.browser.mark)
                else:
                    head = self._head
                    changes = await anyio.to_thread.run_sync(
                        lambda: self.browser.changes(head, catch_up=CATCH_UP)
                    )
                    if changes.mark != head:
                        self._history.append((head, changes.mark, self._frame(changes)))
                        self._head = changes.mark
            except Exception as exc:  # noqa: BLE001 - every stream of the tick gets it
                state.error = exc
            finally:
                state.done.set()
        if state.error is not None:
            raise state.error

    def _frame(self, changes: Changes) -> str:
        show = self.settings.show_numbers
        lines: list[str] = []
        for name, records in (
            ("session-started", changes.started),
            ("session-ended", changes.ended),
        ):
            for record in records:
                data = json.dumps(event_data(record, show_numbers=show))
                lines.append(f"event: {name}\ndata: {data}\n\n")
        mark = changes.mark
        # The id goes last: a browser reconnecting after it resumes after every event above.
        return "".join(lines) + f"id: {mark[0]}-{mark[1]}\ndata: {{}}\nevent: mark\n\n"
