"""The group commit in a process of its own, so that writing never competes with answering for
the interpreter lock: the webhook server hands each record over a pipe and moves on.

Same promises as the thread writer (:class:`ivrkit.server.writer.EventWriter`): records are
written in order, in batches; a summary's request waits until the child has committed it and
everything before it. The child confirms each batch it wrote; if it dies, what it had not
confirmed is handed to a writer thread (with what comes next), and waiting summaries get an error
(and are spooled by the caller).
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ivrkit.errors import StoreError
from ivrkit.server.batches import MAX_BATCH, BatchWriter, VcaRecord
from ivrkit.server.spool import Spool
from ivrkit.server.writer import EventWriter, settler
from ivrkit.store import Delivery, SessionUpdate, open_store
from ivrkit.wire import SessionSummaryEvent

log = logging.getLogger("ivrkit.server")

PIPE_BYTES = 1 << 20
"""Pipe buffer asked for (Linux): records in flight before a sender waits for the child."""
START_TIMEOUT = 60.0
STALL_TIMEOUT = 30.0
"""Seconds the child may go without confirming anything while records wait, before it is
stopped and the fallback writer takes over."""

_VCA, _SUMMARY, _FLUSH, _STOP, _READY, _DONE = "vca", "summary", "flush", "stop", "ready", "done"


class ProcessWriter:
    """Writes through a child process that opens ``db_url`` itself."""

    def __init__(
        self,
        db_url: str,
        spool: Spool | None,
        fallback: EventWriter,
        *,
        stall_timeout: float = STALL_TIMEOUT,
    ) -> None:
        self.db_url = db_url
        self.stall_timeout = stall_timeout
        self.spool_path = spool.path if spool is not None else None
        self.fallback = fallback
        self._process: subprocess.Popen[bytes] | None = None
        self._outbox: Connection | None = None
        self._inbox: Connection | None = None
        self._send_lock = threading.Lock()
        """Held while writing to the pipe (which may wait for the child): never by the reader."""
        self._state_lock = threading.Lock()
        """Guards ``_waiting`` and ``_unacked``; held for no I/O."""
        self._waiting: dict[int, Callable[[BaseException | None], None]] = {}
        self._unacked: deque[tuple[int, VcaRecord]] = deque()
        """Records sent but not yet confirmed by the child, in the order sent."""
        self._ids = itertools.count(1)
        self._alive = False
        self._reader: threading.Thread | None = None
        self._pending_since: float | None = None
        """When the child last had nothing to confirm, or last confirmed something."""

    def start(self) -> None:
        if self._alive:
            return
        # A fresh interpreter running this module: no fork of a threaded server, and no
        # re-import of whatever script created the app (multiprocessing's spawn would).
        args = [sys.executable, "-m", "ivrkit.server.writer_main", self.db_url]
        if self.spool_path is not None:
            args.append(str(self.spool_path))
        self._process = subprocess.Popen(  # noqa: S603 - our own module, no shell
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        outbox = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        inbox = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()
        self._process.stdout.close()
        _grow_pipe(outbox)
        kind, detail = "failed", "it did not start in time"
        if inbox.poll(START_TIMEOUT):
            try:
                kind, detail = inbox.recv()
            except EOFError:
                kind, detail = "failed", "it ended while starting (see its messages above)"
        if kind != _READY:
            self._process.kill()
            self._process.wait(timeout=10)
            outbox.close()
            inbox.close()
            raise StoreError(f"the writer process could not open the store: {detail}")
        self._outbox, self._inbox, self._alive = outbox, inbox, True
        self._reader = threading.Thread(
            target=self._read_acks, name="ivrkit-writer-acks", daemon=True
        )
        self._reader.start()
        threading.Thread(target=self._watch, name="ivrkit-writer-watch", daemon=True).start()

    def _watch(self) -> None:
        """A child that stops confirming (a lock it waits on forever, a hung disk) is stopped,
        so the fallback writer takes its records over instead of the pipe filling up."""
        while self._alive:
            time.sleep(min(1.0, self.stall_timeout / 4))
            since = self._pending_since
            if self._alive and since is not None and time.monotonic() - since > self.stall_timeout:
                log.error(
                    "the writer process confirmed nothing for %.0f s; stopping it",
                    self.stall_timeout,
                )
                if self._process is not None:
                    self._process.kill()
                return

    def stop(self) -> None:
        if self._alive:
            done = threading.Event()
            if self._send((_STOP, self._wait_on(lambda error: done.set()))):
                done.wait(30)
        if self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=10)
        self._child_gone(None)  # what the child did not confirm is written by the fallback
        for connection in (self._outbox, self._inbox):
            if connection is not None:
                connection.close()
        self._alive = False
        self.fallback.stop()

    # -- the writer interface ------------------------------------------------------------------

    def record_vca(
        self, delivery: Delivery, update: SessionUpdate | None, variables: dict[str, str]
    ) -> None:
        message = (_VCA, next(self._ids), pack_record(delivery, update, variables))
        if not self._send(message, VcaRecord(delivery, update, variables)):
            self.fallback.record_vca(delivery, update, variables)

    async def record_summary(self, delivery: Delivery, event: SessionSummaryEvent) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ticket = self._wait_on(settler(future))
        if not self._send((_SUMMARY, ticket, delivery, event.to_json())):
            with self._state_lock:
                self._waiting.pop(ticket, None)
            future.cancel()  # it may have been failed by the switch; nobody awaits it now
            await self.fallback.record_summary(delivery, event)
            return
        await future

    def flush(self, timeout: float = 10.0) -> bool:
        if not self._alive:
            with self._send_lock:  # a handover to the fallback finishes under this lock
                pass
            return self.fallback.flush(timeout)
        done = threading.Event()
        if not self._send((_FLUSH, self._wait_on(lambda error: done.set()))):
            return self.fallback.flush(timeout)
        return done.wait(timeout) and self.fallback.flush(timeout)

    # -- plumbing ------------------------------------------------------------------------------

    def _wait_on(self, done: Callable[[BaseException | None], None]) -> int:
        ticket = next(self._ids)
        with self._state_lock:
            self._waiting[ticket] = done
            if self._pending_since is None:
                self._pending_since = time.monotonic()
        return ticket

    def _send(self, message: tuple[Any, ...], record: VcaRecord | None = None) -> bool:
        """Hand a message to the child; False when it is gone (the caller falls back).

        A ``record`` is kept until the child confirms it; if the child dies first, it goes to
        the fallback writer with the others it had not confirmed (and True comes back).
        """
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._send_lock:
            if not self._alive or self._outbox is None:
                return False
            if record is not None:
                with self._state_lock:
                    self._unacked.append((message[1], record))
                    if self._pending_since is None:
                        self._pending_since = time.monotonic()
            try:
                self._outbox.send_bytes(payload)
                return True
            except (OSError, ValueError):
                pass
        self._child_gone("the writer process stopped taking records")
        return record is not None

    def _read_acks(self) -> None:
        assert self._inbox is not None
        while True:
            try:
                kind, ticket, error = self._inbox.recv()
            except (EOFError, OSError):
                if self._alive:
                    self._child_gone("the writer process ended unexpectedly")
                return
            with self._state_lock:
                if kind == _DONE:  # every record up to ``ticket`` is written
                    while self._unacked and self._unacked.popleft()[0] != ticket:
                        pass
                    done = None
                else:
                    done = self._waiting.pop(ticket, None)
                busy = bool(self._unacked or self._waiting)
                self._pending_since = time.monotonic() if busy else None
            if kind == _DONE:
                continue
            if done is not None:
                done(StoreError(error) if error else None)
            if kind == _STOP:
                return

    def _child_gone(self, why: str | None) -> None:
        """Switch to the fallback writer (``why`` None: at a clean stop)."""
        with self._send_lock:  # no sender gets between the records handed over and its own
            if not self._alive:
                return
            self._alive = False
            with self._state_lock:
                unconfirmed = [record for _, record in self._unacked]
                self._unacked.clear()
                waiting, self._waiting = self._waiting, {}
            for record in unconfirmed:
                self.fallback.record_vca(record.delivery, record.update, record.variables)
        if why is not None:
            log.error(
                "%s; writing from a thread from now on (%d records it had not confirmed)",
                why,
                len(unconfirmed),
            )
        for done in waiting.values():
            done(StoreError(why or "the writer process stopped"))


Packed = tuple[tuple[Any, ...], tuple[Any, ...] | None, dict[str, str]]


def pack_record(
    delivery: Delivery, update: SessionUpdate | None, variables: dict[str, str]
) -> Packed:
    """A record as plain values: pickling these costs a fraction of pickling the dataclasses,
    and the server pays it for every event."""
    d = delivery
    fields = (
        d.channel,
        d.received_at.timestamp(),
        d.body,
        d.headers,
        d.http_status,
        d.answer,
        d.outcome,
        d.note,
        d.event_id,
        d.event_type,
        d.session_id,
    )
    changes = None
    if update is not None:
        u = update
        changes = (
            u.session_id,
            u.at.timestamp(),
            u.sub_account_id,
            u.direction,
            u.customer,
            u.digits,
            u.last_action,
            u.node,
            u.flow,
        )
    return fields, changes, variables


def unpack_record(packed: Packed) -> VcaRecord:
    fields, changes, variables = packed
    (
        channel,
        received,
        body,
        headers,
        status,
        answer,
        outcome,
        note,
        event_id,
        event_type,
        session_id,
    ) = fields
    delivery = Delivery(
        channel,
        datetime.fromtimestamp(received, UTC),
        body,
        headers,
        status,
        answer,
        outcome,
        note,
        event_id,
        event_type,
        session_id,
    )
    update = None
    if changes is not None:
        (sid, at, sub, direction, customer, digits, last_action, node, flow) = changes
        update = SessionUpdate(
            session_id=sid,
            at=datetime.fromtimestamp(at, UTC),
            sub_account_id=sub,
            direction=direction,
            customer=customer,
            digits=digits,
            last_action=last_action,
            node=node,
            flow=flow,
        )
    return VcaRecord(delivery, update, variables)


def _grow_pipe(connection: Connection) -> None:
    try:
        fcntl.fcntl(connection.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError:
        pass  # the default size only means a sender waits for the child sooner


def run_child(db_url: str, spool_path: str | None, inbox: Connection, outbox: Connection) -> None:
    """The writer process: read records, write them in batches, acknowledge what asked."""
    try:
        store = open_store(db_url)
        store.sessions(limit=1)  # a real round trip: connecting is lazy
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which refuses to start
        outbox.send((_READY + "-failed", str(exc)))
        return
    writer = BatchWriter(store, Spool(Path(spool_path)) if spool_path else None)
    outbox.send((_READY, None))
    try:
        while _serve_batch(inbox, outbox, writer):
            pass
    finally:
        store.close()


def _serve_batch(inbox: Connection, outbox: Connection, writer: BatchWriter) -> bool:
    """Write one batch; False once told to stop (or the server went away)."""
    try:
        messages = [pickle.loads(inbox.recv_bytes())]
        while len(messages) < MAX_BATCH and inbox.poll(0):
            messages.append(pickle.loads(inbox.recv_bytes()))
    except (EOFError, OSError):
        return False
    pending: list[VcaRecord] = []
    last = 0

    def write_pending() -> None:
        if pending:
            writer.write_vca(pending)
            outbox.send((_DONE, last, None))  # the parent may forget these now
            pending.clear()

    for message in messages:
        kind = message[0]
        if kind == _VCA:
            pending.append(unpack_record(message[2]))
            last = message[1]
            continue
        write_pending()
        ticket = message[1]
        error: str | None = None
        if kind == _SUMMARY:
            try:
                writer.write_summary(message[2], SessionSummaryEvent.from_wire(message[3]))
            except Exception as exc:  # noqa: BLE001 - handed back to the waiting request
                error = f"the store refused the summary: {exc}"
        outbox.send((kind, ticket, error))
        if kind == _STOP:
            return False
    write_pending()
    return True
