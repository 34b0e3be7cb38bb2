"""A PostgreSQL schema of its own for one test, on the server IVRKIT_TEST_POSTGRES_URL names
(CI sets it): created empty, dropped afterwards. Tests that need it skip, saying why, without it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

POSTGRES_ENV = "IVRKIT_TEST_POSTGRES_URL"


def admin_url() -> str:
    """The server's URL for psycopg itself (no SQLAlchemy driver name); skips without one."""
    from tests.conftest import current_test

    test = current_test()
    if test is not None and test.get_closest_marker("postgres") is None:
        raise AssertionError(f"{test.nodeid} uses PostgreSQL but is not marked postgres: mark it")
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run this test on PostgreSQL")
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_schema() -> Iterator[tuple[str, str]]:
    """``(store URL scoped to a new schema, the schema's name)``; the schema is dropped after."""
    import psycopg

    admin = admin_url()
    schema = f"ivrkit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        # Commits are not waited for on the server's disk: a test's process may die, never the
        # PostgreSQL server, and what a commit makes visible to other sessions is the same.
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        scoped = make_url(admin).update_query_dict({"options": options})
        yield scoped.render_as_string(hide_password=False), schema
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
