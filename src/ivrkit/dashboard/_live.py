"""The live stream (server-sent events): ``session-started`` when a call appears in the store,
``session-ended`` when its summary does.

Each stream looks at the store every ``poll_interval`` seconds with two reads by primary key (new
session rows, new summaries), so a thousand open dashboards cost the database next to nothing.
A stream ends when its client goes, when :meth:`LiveFeed.close` is called (the server is stopping),
or after ``stream_lifetime`` seconds; every event carries an id, so the browser's automatic
reconnection resumes exactly where the stream stopped.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ivrkit._masking import mask_number
from ivrkit.dashboard._browse import Browser, Changes
from ivrkit.dashboard._settings import DashboardSettings
from ivrkit.store._records import SessionRecord

__all__ = ["LiveFeed", "event_data", "parse_mark"]

RETRY_MS = 1000


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
    }


class LiveFeed:
    """Serves the streams of one dashboard; :meth:`close` ends every open one."""

    def __init__(self, browser: Browser, settings: DashboardSettings) -> None:
        self.browser = browser
        self.settings = settings
        self._closed = threading.Event()  # set from a signal handler as well: a thread event

    def close(self) -> None:
        self._closed.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def endpoint(self, request: Request) -> Response:
        mark = parse_mark(request.headers.get("last-event-id"))
        if mark is None:
            mark = await anyio.to_thread.run_sync(self.browser.mark)
        return StreamingResponse(
            self._events(request, mark),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def _events(self, request: Request, mark: tuple[int, int]) -> AsyncIterator[str]:
        settings = self.settings
        yield f"retry: {RETRY_MS}\nid: {mark[0]}-{mark[1]}\n: connected\n\n"
        with anyio.move_on_after(settings.stream_lifetime):
            while not self.closed:
                changes = await anyio.to_thread.run_sync(self.browser.changes, mark)
                if changes.mark != mark:
                    mark = changes.mark
                    yield self._frame(changes)
                else:
                    yield ": idle\n\n"  # a comment: finds a client that has gone
                if await self._gone(request, settings.poll_interval):
                    return

    async def _gone(self, request: Request, wait: float) -> bool:
        """Wait ``wait`` seconds in short steps; True as soon as the client or server is gone."""
        step = min(wait, 0.2)
        waited = 0.0
        while waited < wait:
            if self.closed or await request.is_disconnected():
                return True
            await anyio.sleep(step)
            waited += step
        return self.closed

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
