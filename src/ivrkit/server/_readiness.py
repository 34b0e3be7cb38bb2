"""``GET /readyz``: may a load balancer send deliveries here? Only while the store answers and
its schema is the one this version of ivrkit writes."""

from __future__ import annotations

import anyio
import anyio.to_thread

from ivrkit.errors import StoreError
from ivrkit.store import Store
from ivrkit.store import _schema as schema

READY_TIMEOUT = 2.0
"""Seconds the store has to answer the readiness check."""


def schema_is_current(store: Store) -> str | None:
    """Why the store's schema is not the one this version writes (behind or ahead: another
    version ran `ivrkit db upgrade` or `downgrade` since this server started), or None."""
    revision = store.schema_revision()
    if revision == schema.REVISION:
        return None
    return (
        f"the store's schema is at revision {revision or '(none)'}, this ivrkit writes "
        f"{schema.REVISION}: run `ivrkit db upgrade` with the matching version"
    )


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
