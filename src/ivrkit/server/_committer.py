"""Group commit: every delivery is committed before its answer leaves, many at a time.

A request hands its record to :class:`Committer` and awaits *its* batch's commit, not the whole
queue: one thread takes whatever has queued up while the previous batch was being written and
commits it in one transaction, then settles the waiting requests at once. Under load a batch
holds as many records as arrived during one commit, so throughput grows with concurrency while
each request waits about one commit.

A tree that keeps session variables reads them the same way: the request hands over its session
and awaits its batch, and the thread reads the variables of every session that asked in one
query before it writes the batch (they are the previous events' committed answers: each of those
waited for its commit before it left).

Where a record goes, in order of preference:

1. the store (one transaction for the batch; a refused batch is retried one record at a time);
2. the spool file (appended and fsync'd) when the store fails, or when the commit has not come
   back within ``commit_timeout`` (a hung database must not hang the platform's calls); the
   spool is replayed into the store as soon as a batch commits again, and at start-up;
3. the quarantine file when the store refuses the record for what it holds
   (:class:`~ivrkit.errors.StoreRefused`): kept, visible in ``/healthz`` and ``ivrkit sessions``,
   never retried in a loop;
4. nowhere: the request gets :class:`NotKept`, and the webhook answers 503 so that the platform
   delivers it again. Nothing is answered 200 that is not kept.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from ivrkit.errors import IvrkitError, StoreError, StoreRefused
from ivrkit.server._metrics import ServerMetrics
from ivrkit.server._projecting import Projecting
from ivrkit.server._spool import Spool
from ivrkit.store import Delivery, Store, SummaryWrite, VcaWrite
from ivrkit.wire import SessionSummaryEvent

log = logging.getLogger("ivrkit.server")

MAX_BATCH = 512
"""Most records in one transaction."""
QUEUE_LIMIT = 10_000
"""Records waiting at most; past it a request waits for room (that request, not the loop)."""
COMMIT_TIMEOUT = 2.0
"""Seconds a request waits for its commit before its record is spooled instead."""
RETRY = 1.0
"""Seconds between two tries to move the spool into the store while no delivery comes."""

Where = Literal["store", "spool", "quarantine"]
T = TypeVar("T")


class NotKept(IvrkitError):
    """Neither the store, nor the spool, nor the quarantine could keep a record."""


@dataclass(frozen=True)
class Kept:
    """Where a record was kept, and for a CALL_ACTION the event's first delivery (whose answer
    is the one to give when ``fresh`` is False: the event was answered before)."""

    where: Where
    first: Delivery
    fresh: bool = True


@dataclass
class _Item:
    write: VcaWrite | None = None
    summary: SessionSummaryEvent | None = None
    delivery: Delivery | None = None
    future: asyncio.Future[Kept] | None = None
    flushed: threading.Event | None = None
    read: str | None = None
    """A session whose variables are wanted (the answer goes to ``variables``)."""
    variables: asyncio.Future[dict[str, str]] | None = None


_STOP = _Item()
Settlement = tuple["asyncio.Future[Any]", object]


def _settle_all(settlements: list[Settlement]) -> None:
    """Settle waiting requests from the committer thread: one wake-up per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Settlement]] = {}
    for future, outcome in settlements:
        by_loop.setdefault(future.get_loop(), []).append((future, outcome))
    for loop, group in by_loop.items():
        try:
            loop.call_soon_threadsafe(_apply, group)
        except RuntimeError:
            pass  # the loop has ended: nobody waits for these answers any more


def _apply(settlements: list[Settlement]) -> None:
    for future, outcome in settlements:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class Committer:
    """Commits records for the webhook server (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        spool: Spool | None,
        *,
        commit_timeout: float = COMMIT_TIMEOUT,
        queue_limit: int = QUEUE_LIMIT,
        metrics: ServerMetrics | None = None,
    ) -> None:
        self.store = store
        self.spool = spool
        self.commit_timeout = commit_timeout
        self.metrics = metrics
        # SimpleQueue: put and get in C, no Python-level condition per record.
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._queue_limit = queue_limit
        self._deadlines = Deadlines(commit_timeout)
        self.last_commit = 0.0
        """When (``time.monotonic()``) a batch last committed."""
        self.projecting = Projecting(
            store,
            busy=lambda: self._queue.qsize() > 0,
            last_commit=lambda: self.last_commit,
        )
        self._thread = threading.Thread(target=self._run, name="ivrkit-committer", daemon=True)
        self._state = "new"  # then "running", then "stopped"
        self._state_lock = threading.Lock()
        self._busy_since: float | None = None
        self._ended: str | None = None
        self._failing_since: float | None = None
        self._spooled = spool is not None and spool.pending() > 0
        # Request threads spool while the committer thread replays: the flag is set and cleared
        # under this lock, so a record spooled during a replay is never marked as moved.
        self._spooled_lock = threading.Lock()
        self.batches = 0
        self.committed = 0

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        with self._state_lock:
            if self._state == "new":
                self._state = "running"
                self._thread.start()
                self.projecting.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Commit everything queued, then end the thread. A record handed over later (a slow
        request outliving the shutdown) is written by its caller's thread at once."""
        with self._state_lock:
            running = self._state == "running"
            self._state = "stopped"
        if not running:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            leftover: list[_Item] = []
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not _STOP:
                    leftover.append(item)
            self._write(leftover)
        self.projecting.stop()

    # -- what the webhooks call -------------------------------------------------------------

    async def commit_vca(self, write: VcaWrite, *, wait: bool = True) -> Kept:
        """Commit a delivery (a CALL_ACTION with its session update, or any other delivery).

        With ``wait=False`` (the opt-in "answer before commit" mode) only the hand-over is
        awaited. Raises :class:`NotKept` when nothing could keep it.
        """
        return await self._commit(_Item(write=write, delivery=write.delivery), wait)

    async def commit_summary(self, delivery: Delivery, event: SessionSummaryEvent) -> Kept:
        """Commit a session summary (with everything received before it). Raises NotKept."""
        return await self._commit(_Item(summary=event, delivery=delivery), True)

    async def _commit(self, item: _Item, wait: bool) -> Kept:
        assert item.delivery is not None
        future: asyncio.Future[Kept] = asyncio.get_running_loop().create_future()
        item.future = future
        if not await self._hand_over(item):
            if self.stalled:  # do not queue behind a hung store: spool at once
                return _raise_if_lost(await asyncio.to_thread(self._keep_elsewhere, item, None))
            return _raise_if_lost(await asyncio.to_thread(self._write_one, item))
        if not wait:
            return Kept("store", item.delivery)
        try:
            return await self._deadlines.within(future)
        except TimeoutError:
            # The store is slow or hung: keep the record on disk now; the committer writes it
            # as well when the store comes back (both writes are idempotent).
            log.warning("no commit within %.1f s; spooling %s", self.commit_timeout, _label(item))
            return _raise_if_lost(await asyncio.to_thread(self._keep_elsewhere, item, None))

    async def _hand_over(self, item: _Item) -> bool:
        """Queue ``item``; False when no committer thread will take it (stopped)."""
        if self._state == "new":
            self.start()
        deadline = time.monotonic() + self.commit_timeout
        while self._state == "running" and self._thread.is_alive():
            if self.stalled:
                return False
            if self._queue.qsize() < self._queue_limit:
                self._queue.put(item)
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.001)  # this request waits for room; the loop goes on
        return False

    async def read_variables(self, session_id: str) -> dict[str, str]:
        """The session's variables as committed, read in the committer thread with every other
        session that asks meanwhile (one query per batch, no thread hop per request). With no
        committer to take it, or none back within ``commit_timeout``, read here instead."""
        future: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
        if await self._hand_over(_Item(read=session_id, variables=future)):
            try:
                return await self._deadlines.within(future)
            except TimeoutError:
                log.warning("no variables within %.1f s; reading them apart", self.commit_timeout)
        return await asyncio.to_thread(self._read_apart, session_id)

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until everything queued so far is committed, and projected (tests,
        shutdown)."""
        if self._state == "running" and self._thread.is_alive():
            marker = _Item(flushed=threading.Event())
            self._queue.put(marker)
            if not marker.flushed.wait(timeout):  # type: ignore[union-attr]
                return False
        try:
            self.store.catch_up()
        except StoreError:
            log.exception("could not project what was committed")
            return False
        return True

    # -- health -------------------------------------------------------------------------------

    @property
    def stalled(self) -> bool:
        """True while a commit has been running for longer than ``commit_timeout``."""
        since = self._busy_since
        return since is not None and time.monotonic() - since > self.commit_timeout

    @property
    def failing(self) -> bool:
        """True from a commit the store failed (or did not answer in time) until the next one
        it takes: a store that still hangs stays unhealthy after its statements time out."""
        return self._failing_since is not None

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def failure(self) -> str | None:
        """Why deliveries are no longer committed (the committer or its projector has
        stopped), or None while they are."""
        if self._state == "stopped":
            return "the committer has stopped: deliveries are no longer committed"
        if self._state == "running" and not self._thread.is_alive():
            return f"the committer thread has ended: {self._ended or 'unexpectedly'}"
        if self._state == "running":
            return self.projecting.failure()
        return None

    def health(self) -> dict[str, Any]:
        since = self._busy_since
        state = "ended" if self._state == "running" and not self._thread.is_alive() else self._state
        return {
            "committer": "stalled" if self.stalled else state,
            "queued": self.queued,
            "commitRunningSeconds": round(time.monotonic() - since, 3) if since else 0,
            "storeFailingSeconds": (
                round(time.monotonic() - self._failing_since, 3) if self._failing_since else 0
            ),
        }

    # -- the committer thread -------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._commit_until_stopped()
        except BaseException as exc:  # noqa: BLE001 - said in /healthz, not lost in stderr
            self._ended = f"{type(exc).__name__}: {exc}"
            log.critical("the committer thread has ended: %s", self._ended, exc_info=exc)

    def _commit_until_stopped(self) -> None:
        stopping = False
        while not stopping:
            try:
                # Always a timeout: a request thread may spool after this get began.
                items = [self._queue.get(timeout=RETRY)]
            except queue.Empty:  # idle: with deliveries spooled, is the store back?
                if not self._spooled:
                    continue
                self._busy_since = time.monotonic()  # a hung try shows as a stall
                try:
                    self._replay_spool(probe=True)
                finally:
                    self._busy_since = None
                continue
            while len(items) < MAX_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in items:
                stopping = True
                items = [item for item in items if item is not _STOP]
            self._busy_since = time.monotonic()
            if self.metrics is not None:
                self.metrics.queued(self._queue.qsize())
            try:
                self._write(items)
            finally:
                self._busy_since = None
            if self._spooled and not stopping:
                self._replay_spool()

    def _write(self, items: list[_Item]) -> None:
        """Answer the reads, then write ``items`` in order: runs of CALL_ACTIONs as one batch,
        summaries one by one."""
        reads = [item for item in items if item.read is not None]
        if reads:
            self._read(reads)
        run: list[_Item] = []
        for item in items:
            if item.write is not None or item.summary is not None:
                run.append(item)
            elif item.flushed is not None:
                self._write_batch(run)
                run = []
                item.flushed.set()
        self._write_batch(run)

    def _write_batch(self, run: list[_Item]) -> None:
        """One transaction for CALL_ACTIONs and summaries alike; a failed one is written again
        record by record, so that one bad record keeps only itself out."""
        if not run:
            return
        writes: list[VcaWrite | SummaryWrite] = []
        for item in run:
            if item.write is not None:
                writes.append(item.write)
            else:
                assert item.summary is not None and item.delivery is not None
                writes.append(SummaryWrite(delivery=item.delivery, event=item.summary))
        started = time.perf_counter()
        try:
            results = self.store.record_batch(writes)
        except Exception as exc:  # noqa: BLE001 - the committer thread must live on
            log.warning("a batch of %d records failed (%s); writing them one by one", len(run), exc)
            settlements: list[Settlement] = []
            for item in run:
                settlements += _settlement(item, self._write_one(item))
            _settle_all(settlements)
            return
        self.batches += 1
        self.committed += len(run)
        self._failing_since = None
        self.last_commit = time.monotonic()
        self._observe(len(run), started)
        self.projecting.poke()
        _settle_all(
            [
                (item.future, Kept("store", first, fresh or item.summary is not None))
                for item, (first, fresh) in zip(run, results, strict=True)
                if item.future is not None
            ]
        )

    def _observe(self, size: int, started: float) -> None:
        """A transaction that committed ``size`` records."""
        if self.metrics is not None:
            self.metrics.commit(size, time.perf_counter() - started)

    def _read(self, reads: list[_Item]) -> None:
        try:
            found = self.store.variables_of([item.read for item in reads if item.read])
        except Exception:  # noqa: BLE001 - answer without them rather than not at all
            log.exception("could not read the variables of %d sessions", len(reads))
            found = {}
        _settle_all(
            [
                (item.variables, dict(found.get(item.read, {})))
                for item in reads
                if item.variables is not None and item.read is not None
            ]
        )

    def _read_apart(self, session_id: str) -> dict[str, str]:
        try:
            return self.store.variables(session_id)
        except Exception:  # noqa: BLE001 - answer without them rather than not at all
            log.exception("could not read the variables of %s", session_id)
            return {}

    def _write_one(self, item: _Item) -> Kept | BaseException:
        """Write one record in a transaction of its own, else keep it elsewhere."""
        try:
            if item.summary is not None:
                assert item.delivery is not None
                self.store.record_summary(item.delivery, item.summary)
                return Kept("store", item.delivery)
            assert item.write is not None
            write = item.write
            first, fresh = self.store.record_vca(write.delivery, write.update, write.variables)
            return Kept("store", first, fresh)
        except StoreError as exc:
            return self._keep_elsewhere(item, exc)
        except Exception as exc:  # noqa: BLE001 - the committer thread must live on
            log.exception("unexpected failure storing %s", _label(item))
            return self._keep_elsewhere(item, exc)

    def _keep_elsewhere(self, item: _Item, error: Exception | None) -> Kept | BaseException:
        """The spool (or, for a record the store refuses, the quarantine)."""
        delivery = item.delivery
        assert delivery is not None
        if self.spool is None:
            log.error("%s not kept: the store failed and no spool is configured", _label(item))
            return NotKept(f"{_label(item)} was not kept: {error}")
        quarantine = isinstance(error, StoreRefused)
        try:
            if quarantine:
                log.error("the store refuses %s (%s); quarantined it", _label(item), error)
                self.spool.quarantine(delivery, str(error))
                return Kept("quarantine", delivery)
            log.warning("%s spooled (%s)", _label(item), error or "commit timed out")
            if self._failing_since is None:
                self._failing_since = time.monotonic()
            with self._spooled_lock:
                self.spool.append_delivery(delivery, item.write)
                self._spooled = True
        except OSError as exc:
            log.exception("%s not kept: the spool refused it too", _label(item))
            return NotKept(f"{_label(item)} was not kept: {exc}")
        return Kept("spool", delivery)

    def _replay_spool(self, *, probe: bool = False) -> None:
        from ivrkit.server._store_writes import replay_spool

        assert self.spool is not None
        try:
            moved = replay_spool(self.store, self.spool, probe=probe)
        except OSError:
            log.exception("could not replay the spool %s", self.spool.path)
            return
        if moved:
            log.warning("replayed %d spooled deliveries into the store", moved)
        with self._spooled_lock:
            self._spooled = self.spool.pending() > 0
            if not self._spooled:
                self._failing_since = None


class Deadlines:
    """Fails a waiting request's future with TimeoutError once it has waited ``timeout``
    seconds: one sweep per event loop every quarter of the timeout instead of a timer per
    request (futures are appended in deadline order; a settled one is skipped)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._every = max(timeout / 4, 0.005)
        self._waiting: dict[asyncio.AbstractEventLoop, deque[tuple[float, asyncio.Future[Any]]]]
        self._waiting = {}

    async def within(self, future: asyncio.Future[T]) -> T:
        loop = future.get_loop()
        waiting = self._waiting.get(loop)
        if waiting is None:
            waiting = self._waiting[loop] = deque()
        if not waiting:
            loop.call_later(self._every, self._sweep, loop, waiting)
        waiting.append((time.monotonic() + self.timeout, future))
        return await future

    def _sweep(
        self, loop: asyncio.AbstractEventLoop, waiting: deque[tuple[float, asyncio.Future[Any]]]
    ) -> None:
        now = time.monotonic()
        while waiting and (waiting[0][0] <= now or waiting[0][1].done()):
            _, future = waiting.popleft()
            if not future.done():
                future.set_exception(TimeoutError())
        if waiting:
            loop.call_later(self._every, self._sweep, loop, waiting)
        elif self._waiting.get(loop) is waiting:
            del self._waiting[loop]


def _raise_if_lost(outcome: Kept | BaseException) -> Kept:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _settlement(item: _Item, outcome: Kept | BaseException) -> list[Settlement]:
    return [(item.future, outcome)] if item.future is not None else []


def _label(item: _Item) -> str:
    delivery = item.delivery
    if delivery is None:
        return "a record"
    if item.summary is not None:
        return f"the summary of {delivery.session_id}"
    if delivery.event_id:
        return f"event {delivery.event_id}"
    return f"a {delivery.outcome} delivery"
