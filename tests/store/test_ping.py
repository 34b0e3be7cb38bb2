"""Store.ping: the cheap round trip /readyz makes."""

from __future__ import annotations

import pytest

from ivrkit.errors import StoreError
from ivrkit.store import Store


def test_ping_answers_while_the_database_does(store: Store) -> None:
    store.ping()


def test_ping_of_a_closed_store_raises_a_store_error(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.ping()
