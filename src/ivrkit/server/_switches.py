"""The calendars' emergency switches as the webhook server sees them: read from the store at
most every ``ttl`` seconds, in a thread of their own, so that ``ivrkit closed on`` takes effect
within a couple of seconds without a reload, and a hung store never holds up an answer.

A delivery of a tree that uses calendars asks :meth:`SwitchReader.fresh`. When the last read is
older than ``ttl`` it starts one read (never more than one at a time) and waits for it at most
``wait`` seconds; past that, and for as long as that read hangs, every delivery is answered at
once from the last switches read. A read that fails keeps the last switches too (and is logged):
the calendars' own rules still decide, as they did a moment before.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future

from ivrkit.calendars import Switch
from ivrkit.errors import IvrkitError
from ivrkit.store import Store

log = logging.getLogger("ivrkit.server")

SWITCH_TTL = 2.0
"""Seconds a read of the switches is used before the next delivery reads them again."""
SWITCH_WAIT = 0.25
"""Longest a delivery waits for a read of the switches before it is answered without it."""

Switches = Mapping[str, Switch]


class SwitchReader:
    """The switches that are on, cached for ``ttl`` seconds; ``read`` runs in its own thread."""

    def __init__(
        self,
        read: Callable[[], Switches],
        *,
        ttl: float = SWITCH_TTL,
        wait: float = SWITCH_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self.ttl = ttl
        self.wait = wait
        self._clock = clock
        self._lock = threading.Lock()
        self._switches: Switches = {}
        self._read_at: float | None = None
        self._pending: Future[Switches] | None = None
        self._pending_since = 0.0

    @classmethod
    def of_store(
        cls, store: Store, *, ttl: float = SWITCH_TTL, wait: float = SWITCH_WAIT
    ) -> SwitchReader:
        from ivrkit.store._calendars import SwitchStore

        return cls(SwitchStore(store).closed, ttl=ttl, wait=wait)

    @property
    def current(self) -> Switches:
        """The switches last read (none before the first read)."""
        return self._switches

    async def fresh(self) -> Switches:
        """The switches, read again first when the last read is older than ``ttl``."""
        pending = self._start_if_stale()
        if pending is None:
            return self._switches
        left = self.wait - (self._clock() - self._pending_since)
        if left <= 0:
            return self._switches  # that read hangs: do not wait for it again
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(pending)), left)
        except TimeoutError:
            log.warning(
                "the calendars' switches were not read within %.2f s; answering from the last "
                "ones read",
                self.wait,
            )
        return self._switches

    def _start_if_stale(self) -> Future[Switches] | None:
        now = self._clock()
        with self._lock:
            if self._pending is not None:
                return self._pending
            if self._read_at is not None and now - self._read_at < self.ttl:
                return None
            pending: Future[Switches] = Future()
            self._pending, self._pending_since = pending, now
        threading.Thread(
            target=self._run, args=(pending,), name="ivrkit-switches", daemon=True
        ).start()
        return pending

    def _run(self, pending: Future[Switches]) -> None:
        switches: Switches | None = None
        try:
            switches = dict(self._read())
        except IvrkitError as exc:
            log.warning("could not read the calendars' switches: %s", exc)
        except Exception:  # noqa: BLE001 - a thread of its own: log what stopped it
            log.exception("could not read the calendars' switches")
        with self._lock:
            if switches is not None:
                self._switches = switches
            # A failed read counts as a read: the next try comes after ttl, not at once.
            self._read_at = self._clock()
            self._pending = None
            kept = self._switches
        pending.set_result(kept)
