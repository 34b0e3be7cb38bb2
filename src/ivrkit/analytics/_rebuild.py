"""Recomputing every analytics counter from the raw rows (``ivrkit db rebuild-analytics``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ivrkit.store import IN_PROGRESS, Store
from ivrkit.store import _paths as paths
from ivrkit.store import _schema as schema

CHUNK = 5000
"""Sessions read at a time."""

_S = schema.sessions.c


@dataclass(frozen=True)
class RebuildResult:
    sessions: int
    """Ended sessions folded into the counters."""
    rows: int
    """Counter rows written."""


def rebuild(store: Store) -> RebuildResult:
    """Empty the counters and fold every ended session into them again, in one transaction
    (readers see the old counters until it commits). Sessions in progress are left to queries,
    which count them from their rows."""
    tally = paths.Tally()
    folded = 0
    with store.transaction() as conn:
        paths.clear(conn)
        after = -1
        while True:
            query = (
                select(_S.id, *paths.session_columns())
                .where(_S.id > after, _S.status != IN_PROGRESS)
                .order_by(_S.id)
                .limit(CHUNK)
            )
            rows = conn.execute(query).mappings().all()
            if not rows:
                break
            after = rows[-1]["id"]
            facts = [paths.SessionFacts.from_row(row) for row in rows]
            for session, steps in paths.with_steps(conn, facts):
                item = paths.contribution(session, steps)
                if item is not None:
                    tally.add(item)
                    folded += 1
        written = paths.write_tally(conn, tally, add=False)
    return RebuildResult(sessions=folded, rows=written)
