"""Keeps the store's projections (sessions, digits, path steps, summaries, counters) following
its event log while the server runs, off the answer path: the committer appends and answers,
and pokes this thread, which projects what was appended in small transactions of its own
(:meth:`ivrkit.store.Store.catch_up`).

While the server is busy (it committed within the last :data:`QUIET` seconds) the projections
wait, so that the core goes to answering: they trail the log by at most :data:`LAG` seconds,
then catch up whatever the load. Nobody reads stale projections meanwhile: every read of the
store catches up first when the log is ahead (:meth:`ivrkit.store.Store.reading`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ivrkit.store import Store

log = logging.getLogger("ivrkit.server")

BATCH = 128
"""Most log rows per projecting transaction: on SQLite (one writer at a time) an append waits
behind one at most this long."""
YIELD = 0.002
"""Seconds the projector pauses between its transactions while deliveries wait to be
committed: the appends that answers wait for go first."""
GATHER = 0.05
"""Seconds a poke waits for more appends before projecting: a batch of many rows costs little
more than a batch of a few (the counters of many sessions share their rows), so under load the
projections trail by about this much and cost a fraction of what one batch per commit would."""
RETRY = 1.0
"""Seconds between tries while the store fails."""
LAG = 1.0
"""Seconds the projections may trail the log while the server is busy."""
QUIET = 0.1
"""A server that has committed nothing for this long is not busy."""


class Projecting:
    """The projector thread of one server."""

    def __init__(
        self,
        store: Store,
        busy: Callable[[], bool] = lambda: False,
        *,
        lag: float = LAG,
        last_commit: Callable[[], float] = lambda: 0.0,
    ) -> None:
        """``busy``: whether appends wait now; ``last_commit``: when (``time.monotonic()``)
        the server last committed; ``lag``: seconds the projections may trail the log while
        it commits (0: project at every poke)."""
        self.store = store
        self._busy = busy
        self._lag = lag
        self._last_commit = last_commit
        self._wake = threading.Event()
        self._stopping = False
        self._ended: str | None = None
        self._thread = threading.Thread(target=self._run, name="ivrkit-projector", daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def poke(self) -> None:
        """Something was appended."""
        self._wake.set()

    def failure(self) -> str | None:
        """Why the thread has ended before it was stopped, or None."""
        started = self._thread.ident is not None
        if started and not self._thread.is_alive() and not self._stopping:
            return (
                f"the projector thread has ended ({self._ended or 'unexpectedly'}): "
                "sessions and summaries are not projected"
            )
        return None

    def stop(self, timeout: float = 30.0) -> None:
        """Project what is left, then end the thread."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _serving(self) -> bool:
        return time.monotonic() - self._last_commit() < QUIET

    def _wait_while_serving(self) -> None:
        """Let answers have the core while the server is busy, up to ``lag`` seconds."""
        until = time.monotonic() + self._lag
        while not self._stopping and self._serving() and time.monotonic() < until:
            time.sleep(GATHER)

    def _run(self) -> None:
        try:
            self._project_until_stopped()
        except BaseException as exc:  # noqa: BLE001 - said in /healthz, not lost in stderr
            self._ended = f"{type(exc).__name__}: {exc}"
            log.critical("the projector thread has ended: %s", self._ended, exc_info=exc)

    def _project_until_stopped(self) -> None:
        while True:
            self._wake.wait(RETRY)
            if not self._stopping:
                time.sleep(GATHER)
                self._wait_while_serving()
            self._wake.clear()
            try:
                while self.store.catch_up(BATCH, once=True) == BATCH and not self._stopping:
                    if self._busy():
                        time.sleep(YIELD)
            except Exception:  # noqa: BLE001 - the thread lives on; the next poke retries
                log.exception("could not project the event log; trying again")
                if not self._stopping:
                    self._wake.wait(RETRY)
            if self._stopping:
                return
