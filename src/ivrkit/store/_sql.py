"""The session store on a SQLAlchemy engine: one short transaction per call, safe across threads.

SQLite and PostgreSQL share every statement; the only dialect-specific piece is the upsert
(``INSERT ... ON CONFLICT``), which both speak.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    literal,
    select,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL

from ivrkit.errors import StoreError, StoreNotFound, StoreRefused
from ivrkit.store import _batch as batch
from ivrkit.store import _convert as convert
from ivrkit.store import _migrate as migrate
from ivrkit.store import _projector as projector
from ivrkit.store import _schema as schema
from ivrkit.store._engine import (
    WRITE,
    connection_error,
    create_store_engine,
    display_url,
    is_memory,
    parse_store_url,
    spool_path_of,
)
from ivrkit.store._hooks import Counters, counters_for
from ivrkit.store._records import (
    IN_PROGRESS,
    Delivery,
    OutboundCall,
    SessionRecord,
    SessionUpdate,
    SummaryRecord,
    SummaryWrite,
    VcaWrite,
)
from ivrkit.store._statements import Statements
from ivrkit.wire._events import SessionSummaryEvent

_D = schema.deliveries.c
_S = schema.sessions.c
_DIGITS = schema.session_digits.c

IN_CHUNK = 1000
"""Most session ids in one IN (...) list: both databases cap the parameters of a statement."""

DUPLICATE_SUMMARY_NOTE = projector.DUPLICATE_SUMMARY_NOTE


def open_store(
    url: str, *, create: bool = True, upgrade: bool = False, counters: Counters | None = None
) -> Store:
    """Open the store at a database URL; with ``create`` (the default), make it if the database
    has no ivrkit tables.

    ``sqlite:///path/to.db`` (the file and its folders are created), ``sqlite://`` (in memory,
    shared by all threads), ``postgresql://user@host/db`` (through psycopg 3).

    ``create=False`` opens only a store that exists: a SQLite file that is not there, or a
    database without ivrkit's tables, raises :class:`~ivrkit.errors.StoreNotFound` and nothing is
    created (what every command that reads a store wants: a typo must not leave an empty database
    behind). A store in memory is always new, so it is always made.

    A new store is created at this ivrkit's newest schema revision. A store at an older revision
    (or made before migrations) is refused with :class:`~ivrkit.errors.StoreSchemaError` unless
    ``upgrade=True``, which migrates it first (as ``ivrkit db upgrade`` does); a store at a revision
    this ivrkit does not know (a newer ivrkit's) is always refused. Raises
    :class:`~ivrkit.errors.StoreError` saying what to fix when the URL or the database is unusable.

    ``counters``: what folds ended sessions into the analytics counters; by default the ones
    :mod:`ivrkit.analytics` registers when it is imported (:mod:`ivrkit.store._hooks`).
    """
    parsed = parse_store_url(url)
    if not create:
        require_store_file(parsed)
    engine = create_store_engine(parsed)
    try:
        if not create and not is_memory(parsed):
            with engine.connect() as conn, conn.begin():
                if migrate.read_state(conn).kind == "empty":
                    raise StoreNotFound(f"no store at {display_url(parsed)}")
        migrate.prepare(engine, parsed, upgrade=upgrade)
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
        engine.dispose()
        raise connection_error(parsed, exc) from exc
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, url=parsed, counters=counters)


def require_store_file(url: URL) -> None:
    """Raise :class:`~ivrkit.errors.StoreNotFound` when ``url`` names a SQLite file that does not
    exist (checked before connecting, which would create it)."""
    if url.get_backend_name() == "sqlite" and not is_memory(url):
        if not Path(str(url.database)).is_file():
            raise StoreNotFound(f"no store at {url.database}")


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Deliveries, sessions, summaries and session variables in one database.

    Every method is one transaction, committed before it returns, and may be called from any
    thread. Database failures raise :class:`~ivrkit.errors.StoreError`. Use :func:`open_store`.
    """

    def __init__(
        self, engine: Engine, *, url: URL | None = None, counters: Counters | None = None
    ) -> None:
        self._engine = engine
        self._url = url if url is not None else engine.url
        self._closed = False
        self._dialect = engine.dialect.name
        self._sql = Statements(self._dialect)
        self._batch = batch.BatchWriter(self._sql, engine.dialect)
        self._counters = counters
        self._projector = projector.Projector(self._sql, self._batch, self.counters)
        lock: AbstractContextManager[Any] = nullcontext()
        if self._dialect == "sqlite":
            # SQLite has one writer at a time; queueing writers on a lock wakes the next one at
            # once, where SQLite's busy handler would sleep and poll (bad for p99 latency).
            lock = threading.Lock()
        self._write_lock = lock
        # An in-memory database is one shared connection: readers must queue as well.
        self._read_lock = lock if is_memory(self._url) else nullcontext()
        self._kept: Connection | None = None
        self._kept_lock = threading.Lock()

    def counters(self) -> Counters:
        """What keeps this store's analytics counters: its own, else the registered ones (raises
        :class:`~ivrkit.errors.ConfigError` when there are none)."""
        return counters_for(self._counters)

    def __repr__(self) -> str:
        return f"Store({display_url(self._url)!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL, without its password."""
        return display_url(self._url)

    @property
    def spool_path(self) -> Path:
        """Where a webhook server spools the deliveries this store cannot take in time
        (:func:`~ivrkit.store._engine.spool_path_of`)."""
        return spool_path_of(self._url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._dialect

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One read-write transaction on the store's database, for the layers built on its tables
        (campaigns); committed on leaving, StoreError on database failures."""
        with self._transaction(write=True) as conn:
            yield conn

    @contextmanager
    def reading(self, *, catch_up: int | None = None) -> Iterator[Connection]:
        """One read-only transaction, for the layers that read the store's tables their own way
        (the dashboard's browsing, analytics): it shows every delivery committed before it began
        (the projections catch up first when they trail the log); StoreError on database
        failures.

        With ``catch_up``, the projections first catch up by at most that many log rows (one
        transaction; 0: none), and the read shows them as they then are: for a reader that
        polls (the dashboard's live feed), which finds the rest at a later poll, once the
        server's projector has projected it. A whole catch-up in a busy server's process
        projects about a second of its log at once, holding the writers and the core for
        hundreds of milliseconds."""
        if catch_up is None:
            self._fresh()
        elif catch_up > 0 and self.behind():
            self.catch_up(catch_up, once=True)
        with self._transaction(write=False) as conn:
            yield conn

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._closed = True
        with self._kept_lock:
            if self._kept is not None:
                self._kept.close()
                self._kept = None
        self._engine.dispose()

    # -- writes -----------------------------------------------------------------------------

    def record_vca(
        self,
        delivery: Delivery,
        update: SessionUpdate | None,
        variables: Mapping[str, str] | None = None,
    ) -> tuple[Delivery, bool]:
        """Store a CALL_ACTION delivery, what it tells about its session and the variables its
        answer set, in one transaction.

        Idempotent on ``delivery.event_id``: when that event was already answered, nothing is
        stored and ``(the first delivery, False)`` comes back, so its answer can be replayed.
        Otherwise ``(the stored delivery with its id, True)``.
        """
        if update is not None and delivery.session_id is None:
            delivery = replace(delivery, session_id=update.session_id)
        values = convert.delivery_values(delivery)
        values["facts"] = projector.encode_facts(update) if update is not None else None
        sql = self._sql
        with self._transaction(write=True) as conn:
            projector.lock_for_append(conn)
            if delivery.event_id is None:
                new_id = conn.execute(sql.insert_delivery, values).scalar_one()
            else:
                values["answered_event_id"] = delivery.event_id
                new_id = conn.execute(sql.insert_answered_delivery, values).scalar_one_or_none()
                if new_id is None:
                    first = conn.execute(sql.find_answered, {"event_id": delivery.event_id})
                    return convert.delivery_from_row(first.mappings().one()), False
            if update is not None and variables:
                rows = convert.variable_rows(update.session_id, variables)
                conn.execute(sql.upsert_variables, rows)
        self.catch_up()
        return replace(delivery, id=new_id), True

    def record_vca_batch(self, items: Sequence[VcaWrite]) -> list[tuple[Delivery, bool]]:
        """:meth:`record_vca` for many deliveries in one transaction; for each item, in order,
        ``(stored delivery, True)`` or ``(the event's first delivery, False)``. A StoreError
        means nothing was stored."""
        results = self.record_batch(items)
        self.catch_up()
        return results

    def record_batch(self, items: Sequence[VcaWrite | SummaryWrite]) -> list[tuple[Delivery, bool]]:
        """Append CALL_ACTIONs (as :meth:`record_vca`) and summaries to the log in one
        transaction, in order: one row each (the server's group commit). For each item
        ``(stored delivery, fresh)``; a summary is always fresh (whether it is its session's
        first is for the projection to find). The session tables follow when the projections
        catch up (:meth:`catch_up`), which takes each summary's event as given (it must be what
        its delivery's body parses to) rather than parse the body again. A StoreError means
        nothing was stored."""
        keep = self._projector.parsed.keep
        for item in items:
            if isinstance(item, SummaryWrite):
                keep(item.delivery.body, item.event)
        try:
            with self._kept_transaction() as conn:
                projector.lock_for_append(conn)
                return self._batch.append(conn, items, look=False)
        except StoreRefused:
            # An event of the batch was stored before (another replica answered it, or this
            # server before a restart): append again, looking for what is stored first.
            pass
        with self._kept_transaction() as conn:
            projector.lock_for_append(conn)
            return self._batch.append(conn, items, look=True)

    def record_summary(self, delivery: Delivery, event: SessionSummaryEvent) -> bool:
        """Store a SESSION_SUMMARY delivery, the summary with its legs, and close the session.

        The first summary of a session is kept: a later one is stored as a delivery with outcome
        "duplicate" and False comes back. Committed (and projected) before returning.
        """
        if delivery.session_id is None:
            delivery = replace(delivery, session_id=event.payload.session_id)
        with self._transaction(write=True) as conn:
            projector.lock_for_append(conn)
            new_id = conn.execute(
                self._sql.insert_delivery, batch.summary_values(delivery)
            ).scalar_one()
        self.catch_up()
        with self._transaction(write=False) as conn:
            outcome = conn.execute(select(_D.outcome).where(_D.id == new_id)).scalar_one()
        return bool(outcome != "duplicate")

    # -- projections ----------------------------------------------------------------------------

    def catch_up(self, batch: int = projector.BATCH, *, once: bool = False) -> int:
        """Project everything appended so far (:mod:`ivrkit.store._projector`), ``batch`` log
        rows per transaction (only one transaction with ``once``): after it returns, the session
        tables and counters show every delivery committed before it was called. Safe from any
        thread and any process (one projects at a time). How many log rows this call
        projected."""
        done = 0
        while True:
            with self._transaction(write=True) as conn:
                moved = self._projector.project(conn, batch)
            done += moved
            if moved < batch or once:
                return done

    def behind(self) -> bool:
        """Whether the log holds deliveries the session tables do not show yet."""
        with self._transaction(write=False) as conn:
            return self._projector.behind(conn)

    def rebuild_projections(self) -> int:
        """Empty the session tables the log builds and project the whole log again (a session
        only an outbound call wrote is kept). How many log rows were projected."""
        counters = self.counters()
        with self._transaction(write=True) as conn:
            projector.clear(conn)
            counters.clear(conn)
        return self.catch_up()

    def _fresh(self) -> None:
        """Catch up before a read of the projections, when the log is ahead of them."""
        if self.behind():
            self.catch_up()

    def record_delivery(self, delivery: Delivery) -> Delivery:
        """Store any other delivery (bad input, unknown or unhandled events, CALL_STATUS, ...)."""
        with self._transaction(write=True) as conn:
            projector.lock_for_append(conn)
            new_id = conn.execute(
                self._sql.insert_delivery, convert.delivery_values(delivery)
            ).scalar_one()
        return replace(delivery, id=new_id)

    def record_outbound_call(
        self,
        session_id: str,
        *,
        at: datetime,
        customer: str | None,
        sub_account_id: str | None,
        flow: str | None,
        request_id: str | None,
        client_request_id: str | None = None,
        step: SessionUpdate | None = None,
    ) -> None:
        """Note a session that ``ivrkit call`` started with Send Callflow, and the first step of
        its path (:data:`~ivrkit.store._records.CALL_PLACED`) when one is given."""
        self._fresh()  # the session's summary may be in the log, not yet in its table
        self.record_outbound_calls(
            [
                OutboundCall(
                    session_id=session_id,
                    at=at,
                    customer=customer,
                    sub_account_id=sub_account_id,
                    flow=flow,
                    request_id=request_id,
                    client_request_id=client_request_id,
                    step=step,
                )
            ]
        )

    def record_outbound_calls(self, calls: Sequence[OutboundCall]) -> None:
        """:meth:`record_outbound_call` for many sessions, with their variables, in one
        transaction (a campaign worker notes a round's calls at once).

        The projections are not caught up first: a summary still only in the log closes its
        session, and is folded with the step written here, when it is projected."""
        if not calls:
            return
        counters = self.counters()
        ids = sorted({call.session_id for call in calls})
        with self._transaction(write=True) as conn:
            # The projector writes session rows in log order, holding its position: taking the
            # position first means locking many sessions here cannot deadlock with it.
            self._projector.hold(conn)
            # A call that failed at once may have its summary stored (and folded) before this:
            # take it out of the counters, and fold it again with its first step below. The
            # session rows are locked first (PostgreSQL), so a summary being stored meanwhile
            # is either committed and seen here, or waits and sees this call's step.
            self._batch.run(
                conn,
                "ensure_session",
                [{"session_id": sid, "status": IN_PROGRESS, "updated_at": _now()} for sid in ids],
            )
            ended: list[str] = []
            for start in range(0, len(ids), IN_CHUNK):
                chunk = ids[start : start + IN_CHUNK]
                found = conn.execute(
                    select(_S.session_id, _S.status)
                    .where(_S.session_id.in_(chunk))
                    .order_by(_S.session_id)
                    .with_for_update()
                )
                ended += [sid for sid, status in found if status != IN_PROGRESS]
            if ended:
                counters.fold(conn, ended, -1)
            steps = [convert.step_values(c.step) for c in calls if c.step is not None]
            self._batch.run(conn, "insert_step", [row for row in steps if row is not None])
            self._batch.run(
                conn,
                "upsert_session_from_call",
                [
                    {
                        "session_id": call.session_id,
                        "status": IN_PROGRESS,
                        "direction": "OUTBOUND",
                        "customer": call.customer,
                        "sub_account_id": call.sub_account_id,
                        "flow": call.flow,
                        "request_id": call.request_id,
                        "client_request_id": call.client_request_id,
                        "started_at": call.at,
                        "updated_at": _now(),
                    }
                    for call in calls
                ],
            )
            variables = [
                row
                for call in calls
                for row in convert.variable_rows(call.session_id, call.variables)
            ]
            self._batch.run(conn, "upsert_variables", variables)
            if ended:
                counters.fold(conn, ended, 1)

    def set_variables(self, session_id: str, values: Mapping[str, str]) -> None:
        """Set (insert or replace) variables of a session; others are left as they are."""
        if not values:
            return
        with self._transaction(write=True) as conn:
            conn.execute(self._sql.upsert_variables, convert.variable_rows(session_id, values))

    # -- reads ------------------------------------------------------------------------------

    def schema_revision(self) -> str | None:
        """The schema revision the database records now (None: none, or not a single one)."""
        with self._transaction(write=False) as conn:
            return migrate.recorded_revision(conn)

    def ping(self) -> None:
        """Ask the database for nothing: raises StoreError when it cannot be reached."""
        with self._transaction(write=False) as conn:
            conn.execute(select(literal(1))).scalar_one()

    def find_answered(self, event_id: str) -> Delivery | None:
        """The first answered delivery of a CALL_ACTION event, to replay its answer."""
        with self._transaction(write=False) as conn:
            row = (
                conn.execute(self._sql.find_answered, {"event_id": event_id})
                .mappings()
                .one_or_none()
            )
        return convert.delivery_from_row(row) if row is not None else None

    def sessions(self, limit: int = 100) -> list[SessionRecord]:
        """The newest sessions first (by start time, then by when they were first seen)."""
        self._fresh()
        listed = (
            select(schema.sessions)
            .order_by(_S.started_at.desc().nulls_last(), _S.id.desc())
            .limit(max(limit, 0))
        )
        with self._transaction(write=False) as conn:
            rows = conn.execute(listed).mappings().all()
            digits = session_digits(conn, [row["session_id"] for row in rows])
        return [convert.session_from_row(row, digits.get(row["session_id"], [])) for row in rows]

    def session(self, session_id: str) -> SessionRecord | None:
        self._fresh()
        with self._transaction(write=False) as conn:
            row = (
                conn.execute(select(schema.sessions).where(_S.session_id == session_id))
                .mappings()
                .one_or_none()
            )
            if row is None:
                return None
            digits = session_digits(conn, [session_id])
        return convert.session_from_row(row, digits.get(session_id, []))

    def deliveries(self, session_id: str | None = None, limit: int = 200) -> list[Delivery]:
        """The newest ``limit`` deliveries (of one session, or all), oldest first."""
        self._fresh()
        query = select(schema.deliveries).order_by(_D.id.desc()).limit(max(limit, 0))
        if session_id is not None:
            query = query.where(_D.session_id == session_id)
        with self._transaction(write=False) as conn:
            rows = conn.execute(query).mappings().all()
        return [convert.delivery_from_row(row) for row in reversed(rows)]

    def summary(self, session_id: str) -> SummaryRecord | None:
        """The summary kept for a session (the first received), with its legs."""
        self._fresh()
        s = schema.summaries.c
        with self._transaction(write=False) as conn:
            row = (
                conn.execute(select(schema.summaries).where(s.session_id == session_id))
                .mappings()
                .one_or_none()
            )
            if row is None:
                return None
            leg_rows = (
                conn.execute(
                    select(schema.legs)
                    .where(schema.legs.c.summary_id == row["id"])
                    .order_by(schema.legs.c.name)
                )
                .mappings()
                .all()
            )
        payload = row["payload"]
        return SummaryRecord(
            session_id=row["session_id"],
            session_status=row["session_status"],
            received_at=row["received_at"],
            payload=payload if isinstance(payload, dict) else {},
            version=row["version"],
            legs=[convert.leg_from_row(leg) for leg in leg_rows],
        )

    def variables(self, session_id: str) -> dict[str, str]:
        v = schema.variables.c
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                select(v.name, v.value).where(v.session_id == session_id).order_by(v.name)
            )
            return {name: value for name, value in rows}

    def variables_of(self, session_ids: Collection[str]) -> dict[str, dict[str, str]]:
        """:meth:`variables` of many sessions in one query (a session without any is absent)."""
        found: dict[str, dict[str, str]] = {}
        ids = sorted(set(session_ids))
        with self._transaction(write=False) as conn:
            for start in range(0, len(ids), batch.CHUNK):
                chunk = ids[start : start + batch.CHUNK]
                rows = conn.execute(self._sql.variables_of, {"session_ids": chunk})
                for session_id, name, value in rows:
                    found.setdefault(session_id, {})[name] = value
        return found

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        if self._closed:
            raise StoreError(f"the store at {self.url} is closed")
        lock = self._write_lock if write else self._read_lock
        try:
            with lock, self._engine.connect() as conn:
                if write:
                    conn.execution_options(**{WRITE: True})
                with conn.begin():
                    yield conn
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            raise self._failed(exc, write=write) from exc

    @contextmanager
    def _kept_transaction(self) -> Iterator[Connection]:
        """On PostgreSQL, a write transaction on a connection kept from one call to the next:
        the group commit writes batch after batch from one thread, and a pool checkout per
        batch, with its ping, cost more than a small batch's statements. A transaction that
        fails drops the connection, so the next one starts on a fresh one; a caller that finds
        it in use takes one from the pool. Not on SQLite: there a connection of its own made
        the server slower (each SQLite connection has its own page cache, which every commit
        by the projector's connection, and each of the projector's by this one, would empty)."""
        if self._dialect != "postgresql" or not self._kept_lock.acquire(blocking=False):
            with self._transaction(write=True) as conn:
                yield conn
            return
        try:
            if self._closed:
                raise StoreError(f"the store at {self.url} is closed")
            with self._write_lock:
                kept = self._kept
                if kept is None or kept.closed or kept.invalidated:
                    kept = self._kept = self._engine.connect()
                    kept.execution_options(**{WRITE: True})
                try:
                    with kept.begin():
                        yield kept
                except BaseException:
                    self._kept = None
                    kept.close()
                    raise
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            raise self._failed(exc, write=True) from exc
        finally:
            self._kept_lock.release()

    def _failed(self, exc: BaseException, *, write: bool) -> StoreError:
        orig = getattr(exc, "orig", None) or exc
        reason = " ".join(str(orig).split())
        action = "write to" if write else "read from"
        message = f"could not {action} the store at {self.url}: {reason}"
        if isinstance(exc, sa_exc.DataError | sa_exc.IntegrityError):
            return StoreRefused(message)
        return StoreError(message)


def session_digits(conn: Connection, session_ids: Sequence[str]) -> dict[str, list[str]]:
    """The digits of many sessions in one query per IN_CHUNK sessions, in arrival order."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(session_ids), IN_CHUNK):
        query = (
            select(_DIGITS.session_id, _DIGITS.digits)
            .where(_DIGITS.session_id.in_(session_ids[start : start + IN_CHUNK]))
            .order_by(_DIGITS.at, _DIGITS.id)
        )
        for session_id, digits in conn.execute(query):
            found.setdefault(session_id, []).append(digits)
    return found
