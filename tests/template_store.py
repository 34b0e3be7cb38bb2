"""New stores made from a template: the first empty store of each database kind in a test process
is migrated by Alembic through every revision, and the SQL it ran is recorded; every later empty
store replays that SQL instead of running the migrations again (seconds per store on PostgreSQL,
a third of one on SQLite, mostly spent in Alembic itself).

Only Alembic's ``upgrade`` to ``head`` of a database without ivrkit tables takes the short way;
tests whose subject is the migrations (marked ``migrations``) always run them for real, and
``tests/store/test_template.py`` checks that a replayed store equals one Alembic made.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event, inspect

Statement = tuple[str, Any]

_recorded: dict[str, list[Statement]] = {}
_lock = threading.Lock()
_allowed: Callable[[], bool] = lambda: True  # noqa: E731
_off = 0

# Reads Alembic and SQLAlchemy make to look at the database: replaying them changes nothing.
_READ = re.compile(r"^\s*(SELECT|SHOW|PRAGMA\s+[\w.]+\s*(\(|$))", re.IGNORECASE)


def install(allowed: Callable[[], bool]) -> None:
    """Send Alembic's upgrades of empty stores through the template while ``allowed()``."""
    from alembic import command

    global _allowed
    _allowed = allowed
    real = command.upgrade
    if getattr(real, "_ivrkit_template", False):
        return

    def upgrade(config: Any, revision: str, sql: bool = False, tag: str | None = None) -> None:
        conn = config.attributes.get("connection")
        if (
            sql
            or tag
            or revision != "head"
            or not isinstance(conn, Connection)
            or _off
            or not _allowed()
        ):
            return real(config, revision, sql, tag)
        if not _is_empty(conn):
            return real(config, revision, sql, tag)
        kind = conn.dialect.name
        with _lock:
            script = _recorded.get(kind)
            if script is None:
                _recorded[kind] = _record(conn, lambda: real(config, revision, sql, tag))
                return None
        replay(conn, script)
        return None

    upgrade._ivrkit_template = True  # type: ignore[attr-defined]
    command.upgrade = upgrade


@contextmanager
def off() -> Iterator[None]:
    """Within: every store is made by Alembic's migrations."""
    global _off
    _off += 1
    try:
        yield
    finally:
        _off -= 1


def _is_empty(conn: Connection) -> bool:
    return not any(name.startswith("ivrkit_") for name in inspect(conn).get_table_names())


def _record(conn: Connection, migrate: Callable[[], None]) -> list[Statement]:
    """Run the real migrations on ``conn``, keeping every statement that changed the database."""
    script: list[Statement] = []

    def keep(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if not _READ.match(statement):
            script.append((statement, list(parameters) if many else parameters))

    event.listen(conn, "before_cursor_execute", keep)
    try:
        migrate()
    finally:
        event.remove(conn, "before_cursor_execute", keep)
    return script


def replay(conn: Connection, script: list[Statement]) -> None:
    if conn.dialect.name == "postgresql":
        # One round trip: the statements, with their values written in, as one query.
        import psycopg

        driver = conn.connection.driver_connection
        cursor = psycopg.ClientCursor(driver)
        batch = []
        for statement, parameters in script:
            many = parameters if isinstance(parameters, list) else [parameters]
            batch += [cursor.mogrify(statement, each) if each else statement for each in many]
        cursor.execute(";\n".join(batch))
        return
    for statement, parameters in script:
        conn.exec_driver_sql(statement, parameters or None)


def recorded(kind: str) -> list[Statement] | None:
    """The SQL replayed for new stores of this database kind (None: none recorded yet)."""
    return _recorded.get(kind)
