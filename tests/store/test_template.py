"""The stores tests make from the template (tests/template_store.py) equal stores Alembic makes
by running every migration: same tables, columns, indexes, constraints and rows."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, inspect, text

from ivrkit.store import _migrate as migrate
from ivrkit.store import open_store
from ivrkit.store._engine import create_store_engine, parse_store_url
from tests import template_store
from tests.postgres import fresh_schema


def describe(conn: Connection, schema: str | None) -> dict[str, Any]:
    """Everything a store's schema is made of, with the schema's own name left out."""
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        )
        shape: Any = sorted(tuple(row) for row in rows)
    else:
        found = inspect(conn)
        shape = {
            table: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in found.get_columns(table)
                ],
                "primary": found.get_pk_constraint(table),
                "foreign": sorted(map(repr, found.get_foreign_keys(table))),
                "unique": sorted(map(repr, found.get_unique_constraints(table))),
                "checks": sorted(map(repr, found.get_check_constraints(table))),
                "indexes": sorted(
                    row[0].replace(f'"{schema}".', "").replace(f"{schema}.", "")
                    for row in conn.execute(
                        text(
                            "SELECT indexdef FROM pg_indexes WHERE schemaname = :s "
                            "AND tablename = :t"
                        ),
                        {"s": schema, "t": table},
                    )
                ),
            }
            for table in found.get_table_names()
        }
    tables = sorted(inspect(conn).get_table_names())
    data = {
        table: sorted(map(repr, conn.execute(text(f'SELECT * FROM "{table}"')).all()))
        for table in tables
    }
    return {"shape": shape, "tables": tables, "data": data}


def made(url: str, schema: str | None, *, template: bool) -> Any:
    with nullcontext() if template else template_store.off():
        open_store(url).close()
    engine = create_store_engine(parse_store_url(url))
    try:
        with engine.connect() as conn:
            return describe(conn, schema)
    finally:
        engine.dispose()


def test_a_sqlite_store_from_the_template_equals_one_alembic_made(
    tmp_path: Path,
) -> None:
    urls = [f"sqlite:///{tmp_path / name}.db" for name in ("first", "replayed", "alembic")]
    made(urls[0], None, template=True)  # records the template, if first
    assert template_store.recorded("sqlite")
    replayed = made(urls[1], None, template=True)
    alembic = made(urls[2], None, template=False)
    assert replayed == alembic
    assert migrate.head() in repr(replayed["data"])


@pytest.mark.postgres
def test_a_postgresql_store_from_the_template_equals_one_alembic_made() -> None:
    with fresh_schema() as (first, first_schema):
        made(first, first_schema, template=True)
    assert template_store.recorded("postgresql")
    with fresh_schema() as (url, schema):
        replayed = made(url, schema, template=True)
    with fresh_schema() as (url, schema):
        alembic = made(url, schema, template=False)
    assert replayed == alembic
    assert migrate.head() in repr(replayed["data"])
