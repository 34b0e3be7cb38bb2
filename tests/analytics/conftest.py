"""Analytics tests run on the store tests' stores: a real SQLite file and, when
IVRKIT_TEST_POSTGRES_URL is set, a real PostgreSQL (in a schema of its own, dropped afterwards)."""

from tests.store.conftest import store, store_url

__all__ = ["store", "store_url"]
