"""Turn a store URL into a configured SQLAlchemy engine (SQLite file or memory, PostgreSQL).

Every way this can go wrong ends as a :class:`~ivrkit.errors.StoreError` that says what to fix.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from ivrkit.errors import StoreError

POSTGRES_HINT = "PostgreSQL support needs: pip install 'ivrkit[postgres]'"
URL_HINT = "use sqlite:///path/to/ivrkit.db, sqlite:// (in memory) or postgresql://user@host/db"

WRITE = "ivrkit_write"
"""Execution option marking a connection that will write (SQLite: BEGIN IMMEDIATE)."""

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_SYNCHRONOUS = ("normal", "full")
"""What ``sqlite:///file.db?synchronous=...`` may ask: ``normal`` (the default; in WAL mode a
commit survives any crash of the process, a power loss may take the last ones) or ``full``
(each commit is also synced to the disk, so it survives a power loss too)."""
POSTGRES_POOL_SIZE = 4
POSTGRES_MAX_OVERFLOW = 8
"""Connections one process keeps open, and may add under load: the committer needs one, reads of
session variables a few; 2 replicas x 2 workers stay at 48, under PostgreSQL's default 100."""
POSTGRES_STATEMENT_TIMEOUT_MS = 10_000
"""A statement PostgreSQL has not finished by then is cancelled (a lock held elsewhere, a hung
table): the webhook server spools what it could not commit instead of waiting without end.
A URL whose ``options`` set a statement_timeout keeps its own."""


def display_url(url: URL | str) -> str:
    """The URL without its password, for messages."""
    if isinstance(url, str):
        try:
            return make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            return url
    return url.render_as_string(hide_password=True)


def parse_store_url(url: str) -> URL:
    """Parse and normalise a store URL: PostgreSQL always goes through psycopg 3."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r}; {URL_HINT}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() != "pysqlite":
            raise StoreError(f"unsupported SQLite driver in {display_url(parsed)}; {URL_HINT}")
        if parsed.database == "":
            # What IVRKIT_DB=sqlite:///$UNSET gives: SQLite would quietly keep everything in
            # memory, and every record would vanish at stop.
            raise StoreError(f"{url.strip()!r} names no file (an unset variable?); {URL_HINT}")
        sqlite_synchronous(parsed)  # a wrong value is refused here, before anything opens
        return parsed
    if backend in ("postgresql", "postgres"):
        if importlib.util.find_spec("psycopg") is None:
            raise StoreError(POSTGRES_HINT)
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(f"unsupported database {backend!r} in {display_url(parsed)}; {URL_HINT}")


def sqlite_synchronous(url: URL) -> str:
    """The ``synchronous`` setting a SQLite URL asks for (:data:`SQLITE_SYNCHRONOUS`)."""
    asked = url.query.get("synchronous", "normal")
    value = (asked if isinstance(asked, str) else asked[-1]).lower()
    if value not in SQLITE_SYNCHRONOUS:
        raise StoreError(
            f"synchronous={value!r} in {display_url(url)} is not one of "
            f"{', '.join(SQLITE_SYNCHRONOUS)}"
        )
    return value


def spool_path_of(url: URL) -> Path:
    """Where a webhook server spools the deliveries the store at ``url`` cannot take in time:
    beside a SQLite file (``ivrkit.db`` → ``ivrkit.spool.jsonl``); for PostgreSQL a file named
    after the server, the database and its options (a schema) in the working folder, so two
    databases never share one; for an in-memory store (gone with its process) a file of this
    process in the temporary folder."""
    if url.get_backend_name() == "sqlite":
        if not is_memory(url):
            return Path(str(url.database)).with_suffix(".spool.jsonl")
        return Path(tempfile.gettempdir()) / f"ivrkit-memory-{os.getpid()}.spool.jsonl"
    parts = [url.host or "local", str(url.port or ""), url.database or ""]
    parts += [f"{key}={value}" for key, value in sorted(url.query.items())]
    name = re.sub(r"[^A-Za-z0-9_.=-]+", "_", "-".join(part for part in parts if part))
    return Path(f"ivrkit-{name[:120]}.spool.jsonl")


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create_store_engine(url: URL) -> Engine:
    """An engine for a URL from :func:`parse_store_url`; nothing is connected yet."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    try:
        # pool_pre_ping: after a PostgreSQL restart the first summary must not fail on a dead
        # pooled connection; the ping is one local round trip.
        # connect_timeout: an unreachable host must fail in seconds, not hang a worker.
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = 10
        options = str(url.query.get("options", ""))
        if "statement_timeout" not in options:
            timeout = f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}"
            connect_args["options"] = f"{options} {timeout}".strip()
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_MAX_OVERFLOW,
            connect_args=connect_args,
        )
    except ImportError as exc:  # psycopg present but its C library (libpq) missing
        raise StoreError(f"{POSTGRES_HINT} ({exc})") from exc


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """Put the database in WAL mode. Switching a new file needs it alone, and SQLite answers
    "database is locked" at once (no busy wait) to a second connection switching it meanwhile,
    as several workers opening one new store at the same moment do: try again, for at most the
    busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_engine(url: URL) -> Engine:
    memory = is_memory(url)
    synchronous = sqlite_synchronous(url).upper()
    url = url.difference_update_query(["synchronous"])  # ours, not the driver's
    if memory:
        # One connection for everyone, or each thread would see its own empty database.
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        path = Path(str(url.database)).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for {path}: {exc}") from exc
        engine = create_engine(
            url.set(database=str(path)),
            connect_args={"check_same_thread": False},
            pool_size=10,
            max_overflow=20,
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Transactions are begun by _on_begin, not by the driver's own guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not memory:
                _switch_to_wal(cursor)
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that reads first and
        # writes later can fail with SQLITE_BUSY without waiting when another writer slipped in.
        write = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def connection_error(url: URL, exc: BaseException) -> StoreError:
    """A StoreError for a database that could not be reached or initialised."""
    orig: Any = getattr(exc, "orig", None) or exc
    reason = " ".join(str(orig).split())
    if url.get_backend_name() == "sqlite":
        what = f"cannot open the SQLite database {url.database}"
        todo = "check the path and its permissions"
    else:
        what = f"cannot connect to PostgreSQL at {display_url(url)}"
        todo = "check that the server runs, the host, port, user, password and database name"
    return StoreError(f"{what}: {reason} ({todo})")
