"""Analytics tests run on a real SQLite file and, when IVRKIT_TEST_POSTGRES_URL is set, on a real
PostgreSQL (in a schema of its own, dropped afterwards)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ivrkit.store import Store, open_store
from tests.postgres import fresh_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('analytics')}/ivrkit.db"
        return
    with fresh_schema() as (url, _schema):
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
