"""Workers' leases on a campaign: a worker joins, beats its heart, and leaves; one silent for
longer than the lease is gone, and what it left open is settled by the others."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from ivrkit._clock import Clock
from ivrkit.campaigns import _model as m
from ivrkit.campaigns._tables import WORKERS, W
from ivrkit.errors import WorkerConflict
from ivrkit.store import Store

__all__ = ["Leases"]


class Leases:
    """The workers of the campaigns in one store, timed by ``wall`` (the time every worker
    shares)."""

    def __init__(self, store: Store, wall: Clock) -> None:
        self.store = store
        self.wall = wall

    def join(self, campaign: m.Campaign, worker: str, host: str, pid: int, lease: float) -> None:
        """Register a worker; on SQLite, refuse a second live one."""
        now = self.wall.now()
        with self.store.transaction() as conn:
            conn.execute(delete(WORKERS).where(W.heartbeat_at < now - timedelta(seconds=lease)))
            if self.store.dialect == "sqlite":
                other = conn.execute(
                    select(W.worker, W.host, W.pid).where(W.campaign_id == campaign.id)
                ).first()
                if other is not None:
                    raise WorkerConflict(
                        f"campaign {campaign.name!r} is already run by worker {other.worker} "
                        f"(pid {other.pid} on {other.host}); a SQLite store runs one worker "
                        "per campaign: stop it, wait for its lease to pass, or use PostgreSQL"
                    )
            conn.execute(
                insert(WORKERS),
                {
                    "worker": worker,
                    "campaign_id": campaign.id,
                    "host": host,
                    "pid": pid,
                    "started_at": now,
                    "heartbeat_at": now,
                },
            )

    def heartbeat(self, worker: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                update(WORKERS).where(W.worker == worker).values(heartbeat_at=self.wall.now())
            )

    def leave(self, worker: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(delete(WORKERS).where(W.worker == worker))
