"""The store's schema revisions: which one a database is at, and moving it to another one.

Alembic is configured here in code (no ``alembic.ini``): the migrations ship inside the package
(``ivrkit/store/_migrations``) and the revision a store is at is kept in ``ivrkit_alembic_version``,
prefixed like every ivrkit table so the store can share a database with applications that use
Alembic themselves.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, Engine, String, column, func, inspect, select, table
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL

from ivrkit.errors import StoreError, StoreSchemaError
from ivrkit.store import _schema as schema
from ivrkit.store._engine import (
    WRITE,
    connection_error,
    create_store_engine,
    display_url,
    parse_store_url,
)

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic is imported only when a store is created, migrated or looked at closely: opening a
# store at head (every server start, every test of a user's tree) reads one row without it.

VERSION_TABLE = "ivrkit_alembic_version"
MIGRATIONS = Path(__file__).with_name("_migrations")
TABLE_PREFIX = "ivrkit_"

_LOCK = 0x1F2C_0001
"""PostgreSQL advisory lock key held while a store is created or migrated (several server
workers may open one fresh database at once; they take turns)."""

_ONE_AT_A_TIME = threading.Lock()
"""Alembic runs a migration through module-level proxies (``alembic.op``, ``alembic.context``):
two threads migrating two stores at once would mix them up."""

Kind = Literal["empty", "legacy", "behind", "head", "ahead"]


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against this ivrkit's migrations."""

    kind: Kind
    """``empty``: no ivrkit table; ``legacy``: made before migrations; ``behind``/``head``/
    ``ahead``: its recorded revision is older than, equal to or unknown to this ivrkit's head."""
    current: str | None
    """The recorded revision (None when empty or made before migrations)."""
    head: str

    def describe(self) -> str:
        """One line for ``ivrkit db current``."""
        if self.kind == "head":
            return f"{self.current} (head)"
        if self.kind == "behind":
            return f"{self.current} (behind head {self.head}: run `ivrkit db upgrade`)"
        if self.kind == "ahead":
            return (
                f"{self.current} (unknown to this ivrkit, whose head is {self.head}: "
                "written by a newer ivrkit)"
            )
        if self.kind == "legacy":
            return "none: made before schema migrations (run `ivrkit db upgrade`)"
        return f"none: empty (the store is created at head {self.head} when first opened)"


@dataclass(frozen=True)
class Revision:
    """One migration, as ``ivrkit db history`` lists it."""

    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Only ivrkit's own tables are compared or migrated; the database may hold others."""
    return type_ != "table" or (name or "").startswith(TABLE_PREFIX)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the packaged migrations, running on ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this ivrkit reads and writes."""
    heads = _script().get_heads()
    if len(heads) != 1:  # a packaging mistake, never a user's
        raise RuntimeError(f"ivrkit's migrations must have one head, not {heads}")
    return heads[0]


def revisions() -> list[Revision]:
    """Every revision, newest first."""
    top = head()
    found = []
    for script in _script().walk_revisions():
        down = script.down_revision
        found.append(
            Revision(
                revision=script.revision,
                down_revision=down if isinstance(down, str) or down is None else ",".join(down),
                message=(script.doc or "").strip().splitlines()[0] if script.doc else "",
                is_head=script.revision == top,
            )
        )
    return found


def read_state(conn: Connection) -> SchemaState:
    """Where the database behind ``conn`` stands (in the caller's transaction)."""
    from alembic.runtime.migration import MigrationContext

    top = head()
    names = {name for name in inspect(conn).get_table_names() if include_name(name, "table", None)}
    current: str | None = None
    if VERSION_TABLE in names:
        recorded = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}
        ).get_current_heads()
        current = ",".join(recorded) if recorded else None
    if current is None:
        return SchemaState("legacy" if names - {VERSION_TABLE} else "empty", None, top)
    if current == top:
        return SchemaState("head", current, top)
    known = {script.revision for script in _script().walk_revisions()}
    return SchemaState("behind" if current in known else "ahead", current, top)


def refusal(state: SchemaState, url: URL) -> StoreSchemaError:
    """The one-line error for a store this ivrkit must not use as it is."""
    where = f"the store at {display_url(url)}"
    if state.kind == "ahead":
        message = (
            f"{where} is at schema revision {state.current}, newer than this ivrkit knows "
            f"(its head is {state.head}): upgrade ivrkit, or with the newer ivrkit run "
            f"`ivrkit db downgrade {state.head}`"
        )
    else:
        was = (
            "was made before schema migrations"
            if state.kind == "legacy"
            else f"is at schema revision {state.current}"
        )
        message = (
            f"{where} {was} and this ivrkit needs {state.head}: back it up, then run "
            "`ivrkit db upgrade` with the same --db / IVRKIT_DB"
        )
    return StoreSchemaError(
        message, current=state.current, head=state.head, behind=state.kind != "ahead"
    )


def prepare(engine: Engine, url: URL, *, upgrade: bool = False) -> SchemaState:
    """Make a store usable at head: create an empty one, refuse one behind (or upgrade it when
    ``upgrade``), refuse one ahead. Database failures are left to the caller."""
    with engine.connect() as conn:
        with conn.begin():
            if recorded_revision(conn) == schema.REVISION:
                return SchemaState("head", schema.REVISION, schema.REVISION)
    from alembic import command

    with _migrating(engine) as conn:
        state = read_state(conn)  # another process may have moved it meanwhile
        if state.kind == "head":
            return state
        if state.kind == "ahead" or (state.kind != "empty" and not upgrade):
            raise refusal(state, url)
        command.upgrade(alembic_config(conn), "head")
        return read_state(conn)


def recorded_revision(conn: Connection) -> str | None:
    """The revision the version table holds, read without Alembic (None: no single one)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    version = table(VERSION_TABLE, column("version_num", String()))
    found: list[str] = list(conn.execute(select(version.c.version_num)).scalars())
    return found[0] if len(found) == 1 else None


def current(url: str) -> SchemaState:
    """Where the store at ``url`` stands; nothing is changed."""
    parsed = parse_store_url(url)
    engine = create_store_engine(parsed)
    try:
        with engine.connect() as conn:
            with conn.begin():
                return read_state(conn)
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
        raise connection_error(parsed, exc) from exc
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> tuple[SchemaState, SchemaState]:
    """Upgrade the store at ``url`` to ``revision``; the states before and after."""
    return _move(url, revision, down=False)


def downgrade(url: str, revision: str) -> tuple[SchemaState, SchemaState]:
    """Downgrade the store at ``url`` to ``revision`` (``base`` drops every table and its data)."""
    return _move(url, revision, down=True)


def _move(url: str, revision: str, *, down: bool) -> tuple[SchemaState, SchemaState]:
    from alembic import command
    from alembic.util import CommandError

    parsed = parse_store_url(url)
    engine = create_store_engine(parsed)
    try:
        with _migrating(engine) as conn:
            before = read_state(conn)
            if before.kind == "ahead":
                raise refusal(before, parsed)
            config = alembic_config(conn)
            try:
                if down:
                    command.downgrade(config, revision)
                else:
                    command.upgrade(config, revision)
            except CommandError as exc:
                raise StoreError(
                    f"cannot {'downgrade' if down else 'upgrade'} {display_url(parsed)} to "
                    f"{revision!r}: {exc} (`ivrkit db history` lists the revisions)"
                ) from exc
            return before, read_state(conn)
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
        raise connection_error(parsed, exc) from exc
    finally:
        engine.dispose()


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one write transaction that migrations may run in, alone.

    On SQLite, foreign keys are off meanwhile: a migration that rebuilds a table (Alembic's batch
    mode) drops the old one, which with foreign keys on would cascade into the rows that refer
    to it. They are checked before the transaction commits.
    """
    with _ONE_AT_A_TIME, engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Outside any transaction: SQLite ignores this pragma inside one.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            conn.execution_options(**{WRITE: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(_LOCK)))
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise StoreError(
                            f"a migration left a row of {broken[0]} pointing at a missing "
                            f"{broken[2]} row; nothing was changed"
                        )
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
