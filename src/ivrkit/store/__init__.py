"""The session store: webhook deliveries, sessions, summaries with their legs, and session
variables, behind one interface on SQLite or PostgreSQL (:func:`open_store`)."""

from __future__ import annotations

from ivrkit.store._records import (
    IN_PROGRESS,
    Delivery,
    LegRecord,
    SessionRecord,
    SessionUpdate,
    SummaryRecord,
    SummaryWrite,
    VcaWrite,
)
from ivrkit.store._sql import Store, open_store

__all__ = [
    "IN_PROGRESS",
    "Delivery",
    "LegRecord",
    "SessionRecord",
    "SessionUpdate",
    "Store",
    "SummaryRecord",
    "SummaryWrite",
    "VcaWrite",
    "open_store",
]
