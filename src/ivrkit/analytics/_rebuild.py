"""Recomputing every analytics counter from the raw rows (``ivrkit db rebuild-analytics``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ivrkit.analytics._contribution import SessionFacts
from ivrkit.analytics._folding import Tally, clear, session_columns, tally_of, write_tally
from ivrkit.store import IN_PROGRESS, Store
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
    tally = Tally()
    folded = 0
    with store.transaction() as conn:
        clear(conn)
        after = -1
        while True:
            query = (
                select(_S.id, *session_columns())
                .where(_S.id > after, _S.status != IN_PROGRESS)
                .order_by(_S.id)
                .limit(CHUNK)
            )
            rows = conn.execute(query).mappings().all()
            if not rows:
                break
            after = rows[-1]["id"]
            facts = [SessionFacts.from_row(row) for row in rows]
            folded += tally_of(conn, facts, tally)
        written = write_tally(conn, tally, add=False)
    return RebuildResult(sessions=folded, rows=written)
