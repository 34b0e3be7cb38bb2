"""The projector lets a busy server answer first, and never trails the log by more than its lag:
once the lag is used up, or the server is quiet, it catches up."""

from __future__ import annotations

import time

from ivrkit.server._projecting import Projecting
from ivrkit.store import Store
from tests.server.test_committer import event


def caught_up(store: Store) -> bool:
    for _ in range(400):  # bounded: at most 20 s
        if not store.behind():
            return True
        time.sleep(0.05)
    return False


def test_a_server_busy_without_end_is_projected_once_the_lag_is_used_up(store: Store) -> None:
    store.record_batch([event(1), event(2)])
    assert store.behind()
    projecting = Projecting(store, lag=0.2, last_commit=time.monotonic)  # always committing
    projecting.start()
    try:
        projecting.poke()
        assert caught_up(store)
    finally:
        projecting.stop()


def test_a_busy_server_is_projected_when_it_becomes_quiet(store: Store) -> None:
    last_commit = [time.monotonic() + 3600.0]  # committing, as far as the projector can tell
    projecting = Projecting(store, lag=3600.0, last_commit=lambda: last_commit[0])
    projecting.start()
    try:
        store.record_batch([event(1)])
        projecting.poke()
        time.sleep(0.3)
        assert store.behind()  # waiting for the server, within its lag
        last_commit[0] = 0.0
        assert caught_up(store)
    finally:
        projecting.stop()
