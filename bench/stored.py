"""Counting, from outside, what a server stored of one benchmark run.

Every delivery of a run carries the run's marker in its sessionId (and eventId). A server that
keeps its promise stores each delivery it answered with a 2xx, raw body included, before the
answer left: so some table with a ``body`` column holds at least as many rows carrying the
marker as there were 2xx answers. The count looks at every such table (whatever the server calls
it) and reports each; the largest is the server's log.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def count_sqlite(path: Path, marker: str) -> dict[str, int]:
    """Rows carrying ``marker`` in their body, per table that has a ``body`` column."""
    counts: dict[str, int] = {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({_quote(table)})")}
            if "body" not in columns:
                continue
            query = f"SELECT count(*) FROM {_quote(table)} WHERE instr(body, ?) > 0"
            counts[table] = int(db.execute(query, (marker,)).fetchone()[0])
    finally:
        db.close()
    return counts


def count_postgres(admin_url: str, schema: str, marker: str) -> dict[str, int]:
    """The same in one PostgreSQL schema (text, JSON or bytea bodies)."""
    import psycopg

    counts: dict[str, int] = {}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        columns = conn.execute(
            "SELECT table_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND column_name = 'body'",
            (schema,),
        ).fetchall()
        for table, data_type in columns:
            if data_type == "bytea":
                where = "position(convert_to(%s, 'UTF8') in body) > 0"
            elif data_type in ("json", "jsonb"):
                where = "strpos(body::text, %s) > 0"
            else:
                where = "strpos(body, %s) > 0"
            query = f"SELECT count(*) FROM {_quote(schema)}.{_quote(table)} WHERE {where}"
            row = conn.execute(query, (marker,)).fetchone()  # type: ignore[arg-type]
            counts[table] = int(row[0]) if row else 0
    return counts


def check(counts: dict[str, int], acknowledged: int, sent: int) -> tuple[bool, str]:
    """Did the log (the table holding most of the run) keep every delivery answered with a 2xx?
    More than ``acknowledged`` is fine (deliveries in flight when the load stopped were stored,
    their answers not read), more than ``sent`` is not."""
    if not counts:
        return False, "no table with a body column holds the run"
    table = max(counts, key=lambda name: counts[name])
    stored = counts[table]
    if stored < acknowledged:
        lost = acknowledged - stored
        return False, f"LOST {lost} of {acknowledged} answered deliveries ({table})"
    if stored > sent:
        return False, f"{stored} rows in {table} for {sent} deliveries sent (stored twice?)"
    return True, f"{stored} stored in {table} (answered {acknowledged}, sent {sent})"
