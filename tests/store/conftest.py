"""Every store test runs on a real SQLite file and, when IVRKIT_TEST_POSTGRES_URL is set, on a real
PostgreSQL (in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from ivrkit.store import Store, open_store

POSTGRES_ENV = "IVRKIT_TEST_POSTGRES_URL"


def _postgres_admin_url() -> str:
    url = make_url(os.environ[POSTGRES_ENV])
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL of an empty store: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        # A folder that does not exist yet: open_store must create it.
        yield f"sqlite:///{tmp_path_factory.mktemp('store')}/nested/ivrkit.db"
        return
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"set {POSTGRES_ENV} to run the store tests on PostgreSQL")
    import psycopg

    admin = _postgres_admin_url()
    schema = f"ivrkit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(admin).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def backend(store_url: str) -> str:
    return "sqlite" if store_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
