"""The reload watcher of `ivrkit serve --reload`: every ``interval`` seconds the trees whose files
changed are loaded again, off the event loop and within ``timeout`` seconds.

A file can contain anything, and loading it can raise anything or never finish: the watcher
survives all of it. Whatever goes wrong is one log line and the running trees stay served; a
load that has not finished in time is left to finish in its thread (its result still replaces
the running tree only if it loads and passes its checks) and no other load starts meanwhile.
Should the watcher itself nevertheless end, :attr:`Watcher.failure` says why, and the server's
``/healthz`` and ``/readyz`` answer 503 with it.
"""

from __future__ import annotations

import logging
import threading
import time

import anyio
import anyio.to_thread

from ivrkit.server._treeset import TreeSet

log = logging.getLogger("ivrkit.server")

RELOAD_TIMEOUT = 30.0
"""Seconds a reload of the changed trees may take before the watcher stops waiting for it."""


class Watcher:
    """Reloads ``trees`` when their files change (see the module docstring)."""

    def __init__(self, trees: TreeSet, interval: float, timeout: float | None = None) -> None:
        self.trees = trees
        self.interval = interval
        self.timeout = RELOAD_TIMEOUT if timeout is None else timeout
        self.failure: str | None = None
        """Why the watcher has stopped (None while it runs, or before it starts)."""
        self._loading_since: float | None = None

    @property
    def slow(self) -> str | None:
        """A problem to report while a reload outlives its timeout, else None."""
        since = self._loading_since
        if since is None or time.monotonic() - since <= self.timeout:
            return None
        return (
            f"a tree reload has been running for {time.monotonic() - since:.0f} s; "
            "the running trees are served meanwhile"
        )

    async def run(self) -> None:
        """Watch until cancelled; never raises anything but cancellation."""
        try:
            while True:
                await anyio.sleep(self.interval)
                await self.reload_once()
        except anyio.get_cancelled_exc_class():
            raise
        except BaseException as exc:  # noqa: BLE001 - the watcher must not take the server down
            self.failure = f"the tree reload watcher stopped: {_describe(exc)}"
            log.critical("%s; restart the server to reload trees again", self.failure)

    async def reload_once(self) -> None:
        """One look at the files: reload what changed, log what happened."""
        if self._loading_since is not None:
            return  # the previous load has not finished: one at a time
        self._loading_since = time.monotonic()
        done = threading.Event()

        def load() -> None:
            try:
                for message in self.trees.reload_changed():
                    log.warning("%s", message)
            except Exception as exc:  # noqa: BLE001 - whatever a file does to the loader
                log.error("kept the running trees: reloading failed: %s", _describe(exc))
            finally:
                self._loading_since = None
                done.set()

        # A thread of its own, not the loop's pool: a load that never ends must not hold a
        # worker the requests need.
        threading.Thread(target=load, name="ivrkit-reload", daemon=True).start()
        with anyio.move_on_after(self.timeout):
            await anyio.to_thread.run_sync(done.wait, abandon_on_cancel=True)
        if not done.is_set():
            log.error(
                "a tree reload has not finished within %g s: the running trees stay served; "
                "no other reload starts until it ends",
                self.timeout,
            )


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
