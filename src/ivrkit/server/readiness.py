"""``GET /readyz``: may a load balancer send deliveries here? Only while the store answers and
its schema is the one this version of ivrkit writes."""

from __future__ import annotations

import anyio
import anyio.to_thread

from ivrkit.errors import StoreError
from ivrkit.store import Store

READY_TIMEOUT = 2.0
"""Seconds the store has to answer the readiness check."""


def schema_is_current(store: Store) -> str | None:
    """Why the store's schema is not the one this version writes (behind or ahead), or None
    when it is. (The store checks its schema version when it is opened; migrations will
    answer this from their revision.)"""
    return None


def not_ready(store: Store) -> str | None:
    """Why the server should get no deliveries now, or None when it is ready."""
    try:
        store.ping()
    except StoreError as exc:
        return f"the store is unreachable: {exc}"
    return schema_is_current(store)


async def check(store: Store, timeout: float | None = None) -> str | None:
    """:func:`not_ready` within ``timeout`` seconds (:data:`READY_TIMEOUT` by default): a
    database that does not answer in time is not ready."""
    if timeout is None:
        timeout = READY_TIMEOUT
    with anyio.move_on_after(timeout):
        return await anyio.to_thread.run_sync(not_ready, store, abandon_on_cancel=True)
    return f"the store did not answer within {timeout:g} s"
