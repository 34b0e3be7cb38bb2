"""The login limit shared by the worker processes of one server: failed logins are rows of a small
SQLite file in a folder the workers share, so N workers allow what one process allows, not N times.

Counting and recording are one transaction (``BEGIN IMMEDIATE``): an attempt takes its place before
the token is even read, so concurrent attempts through any worker cannot all slip under the limit.
The file is an aid, never a gate: when it cannot be read or written (disk full, permissions, a
corrupt file), the attempt is counted by this process alone, a line is logged, and the file is
tried again a window later. Nobody is locked out, and no login is answered 500, because of it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

from ivrkit.dashboard._auth import LoginLimiter

__all__ = ["FILE_NAME", "MAX_ROWS", "SharedLoginLimiter"]

FILE_NAME = "login-failures.sqlite3"
MAX_ROWS = 100_000
"""Most failures kept: a flood from many addresses must not grow the file without end (the
oldest are forgotten first, as the per-process limiter forgets its oldest clients)."""
BUSY_TIMEOUT = 2.0
"""Seconds to wait for another worker's write (each takes microseconds) before counting alone."""

log = logging.getLogger("ivrkit.dashboard")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (client TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_client_at ON failures (client, at);
CREATE INDEX IF NOT EXISTS failures_at ON failures (at);
"""


class SharedLoginLimiter:
    """At most ``attempts`` failed logins per client in any ``window``, counted in the SQLite file
    ``folder``/:data:`FILE_NAME` that every process given the same folder shares."""

    def __init__(
        self, folder: Path, attempts: int, window: timedelta = timedelta(minutes=1)
    ) -> None:
        self.path = folder / FILE_NAME
        self.attempts = attempts
        self.window = window
        self.fallback = LoginLimiter(attempts, window)
        """The count of this process alone, used while the file fails."""
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._broken_until: datetime | None = None

    def admit(self, client: str, now: datetime) -> bool:
        """Whether ``client`` may try a token now; if so the try counts as a failure until
        :meth:`succeeded` says otherwise."""
        with self._lock:
            if self._usable(now):
                try:
                    return self._admit(client, now)
                except (sqlite3.Error, OSError) as exc:
                    self._break(now, exc)
        return self.fallback.admit(client, now)

    def succeeded(self, client: str, now: datetime) -> None:
        """Forget ``client``'s failures: its token was right."""
        self.fallback.succeeded(client, now)
        with self._lock:
            if self._conn is None:
                return
            try:
                with self._conn:
                    self._conn.execute("DELETE FROM failures WHERE client = ?", (client,))
            except (sqlite3.Error, OSError) as exc:
                # Its failures stay in the file and age out within the window.
                self._break(now, exc)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _usable(self, now: datetime) -> bool:
        if self._broken_until is not None:
            if now < self._broken_until:
                return False
            self._broken_until = None
        return True

    def _break(self, now: datetime, exc: BaseException) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None
        self._broken_until = now + self.window
        log.warning(
            "the login limit shared by the workers cannot use %s (%s): each process counts "
            "failed logins alone for a minute",
            self.path,
            " ".join(str(exc).split())[:200] or type(exc).__name__,
        )

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _admit(self, client: str, now: datetime) -> bool:
        conn = self._connection()
        at = now.timestamp()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM failures WHERE at <= ?", (at - self.window.total_seconds(),))
            (count,) = conn.execute(
                "SELECT count(*) FROM failures WHERE client = ?", (client,)
            ).fetchone()
            admitted = bool(count < self.attempts)
            if admitted:
                row = conn.execute(
                    "INSERT INTO failures (client, at) VALUES (?, ?)", (client, at)
                ).lastrowid
                if row is not None and row > MAX_ROWS:
                    conn.execute("DELETE FROM failures WHERE rowid <= ?", (row - MAX_ROWS,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return admitted
