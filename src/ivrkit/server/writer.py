"""The server's group commit: one thread writes what the webhooks tell, many at a time.

CALL_ACTION records are written behind the answer (the caller is not kept waiting on the
disk), in batches; a session summary waits for its batch to commit before its 200 goes out,
and since the queue is first-in first-out, everything received before a summary is stored
before that summary is acknowledged. A batch the database refuses is retried one record at a
time; a record that still fails is appended to the spool file, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ivrkit.server.batches import MAX_BATCH, BatchWriter, VcaRecord
from ivrkit.server.spool import Spool
from ivrkit.store import Delivery, SessionUpdate, Store
from ivrkit.wire import SessionSummaryEvent

log = logging.getLogger("ivrkit.server")

QUEUE_LIMIT = 10_000
"""Records waiting at most; past it a webhook waits for room (back-pressure, not loss)."""


@dataclass
class _Summary:
    delivery: Delivery
    event: SessionSummaryEvent
    done: Callable[[BaseException | None], None]


@dataclass
class _Flush:
    done: threading.Event


_STOP = object()


class Writer(Protocol):
    """Where the pipeline hands its records: :class:`EventWriter` (a thread) or
    :class:`ivrkit.server.writer_process.ProcessWriter` (a process of its own)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def record_vca(
        self, delivery: Delivery, update: SessionUpdate | None, variables: dict[str, str]
    ) -> None: ...

    async def record_summary(self, delivery: Delivery, event: SessionSummaryEvent) -> None: ...

    def flush(self, timeout: float = 10.0) -> bool: ...


def settler(future: asyncio.Future[None]) -> Callable[[BaseException | None], None]:
    """What a writer thread calls to settle ``future`` in its event loop."""
    loop = future.get_loop()

    def done(error: BaseException | None) -> None:
        def settle() -> None:
            if future.done():
                return
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

        try:
            loop.call_soon_threadsafe(settle)
        except RuntimeError:
            pass  # the loop has ended: nobody waits for this answer, and the writer lives on

    return done


class EventWriter:
    def __init__(self, store: Store, spool: Spool | None) -> None:
        self.batches = BatchWriter(store, spool)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._thread = threading.Thread(target=self._run, name="ivrkit-writer", daemon=True)
        self._state = "new"  # then "running", then "stopped"
        self._state_lock = threading.Lock()

    @property
    def _started(self) -> bool:
        return self._state == "running"

    def start(self) -> None:
        with self._state_lock:
            if self._state == "new":
                self._state = "running"
                self._thread.start()

    def stop(self) -> None:
        """Write everything queued, then end the thread. What comes later (a slow request
        outliving the server's shutdown) is written at once by its caller."""
        with self._state_lock:
            if self._state != "running":
                self._state = "stopped"
                return
            self._state = "stopped"
        self._queue.put(_STOP)
        self._thread.join(timeout=30)
        if not self._thread.is_alive():  # what slipped in behind the stop is written here
            leftover: list[Any] = []
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if item is not _STOP:
                    leftover.append(item)
            self._write(leftover)

    def record_vca(
        self, delivery: Delivery, update: SessionUpdate | None, variables: dict[str, str]
    ) -> None:
        """Queue a CALL_ACTION record (written within milliseconds, behind the answer)."""
        self._put(VcaRecord(delivery, update, variables))

    async def record_summary(self, delivery: Delivery, event: SessionSummaryEvent) -> None:
        """Queue a summary and wait until it (and everything before it) is committed.

        Raises what the store raised, when the summary could not be stored.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._put(_Summary(delivery, event, settler(future)))
        await future

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until everything queued so far is written (tests, shutdown)."""
        if not self._started:
            return True
        marker = _Flush(threading.Event())
        self._put(marker)
        return marker.done.wait(timeout)

    def _put(self, item: object) -> None:
        if self._state == "new":
            self.start()
        if self._state == "stopped" and not self._thread.is_alive():
            self._write([item])  # no thread any more: write it here and now
            return
        self._queue.put(item)

    # -- the writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            items = [self._queue.get()]
            while len(items) < MAX_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in items:
                stopping = True
                items = [item for item in items if item is not _STOP]
            self._write(items)

    def _write(self, items: list[Any]) -> None:
        pending: list[VcaRecord] = []
        for item in items:
            if isinstance(item, VcaRecord):
                pending.append(item)
                continue
            self.batches.write_vca(pending)
            pending = []
            if isinstance(item, _Summary):
                try:
                    self.batches.write_summary(item.delivery, item.event)
                except Exception as exc:  # noqa: BLE001 - handed to the waiting request
                    item.done(exc)
                else:
                    item.done(None)
            elif isinstance(item, _Flush):
                item.done.set()
        self.batches.write_vca(pending)
