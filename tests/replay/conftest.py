"""Replay tests that read a store run on the store tests' stores (a real SQLite file and, when
IVRKIT_TEST_POSTGRES_URL is set, a real PostgreSQL); a module may define its own."""

from tests.store.conftest import store, store_url

__all__ = ["store", "store_url"]
