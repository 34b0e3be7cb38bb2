"""The projector's CPU per delivery, alone: ``python bench/projector.py [--postgres URL]``.

The webhook server (in a thread, on 127.0.0.1) answers the traffic of ``make bench``
(``traffic.py``: whole calls of 1 to 3 key presses, each a new session and a new customer
number, 8 summaries in 19 deliveries) on a throwaway store, and every batch its group commit
hands to ``Store.record_batch`` is kept as it was built. Those batches are then appended to a
new store through ``record_batch``, and after every 128 rows the projections catch up by one
transaction of 128 rows (``catch_up(128, once=True)``), as the server's projector thread does;
only the catch-ups are timed, in CPU time of this thread (``time.thread_time``), and divided
by the rows they projected. Each round uses a new store (a SQLite file, or a new schema of the
PostgreSQL database given). ``--profile FILE`` writes a cProfile of the catch-ups (by thread
CPU time) for ``python -m pstats``. Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

import ivrkit.analytics  # noqa: F401  (registers the counters' fold with the store)
from ivrkit._serving import BackgroundServer
from ivrkit.server import create_app
from ivrkit.store import Store, SummaryWrite, VcaWrite, open_store

sys.path.insert(0, str(Path(__file__).resolve().parent))

from traffic import Traffic  # noqa: E402

BATCH = 128
"""Rows per projecting transaction (``ivrkit.server._projecting.BATCH``)."""
SECRET = "Bearer bench-projector"

Batch = list[VcaWrite | SummaryWrite]


def recorded_batches(deliveries: int, folder: Path) -> list[Batch]:
    """The batches the server's group commit appends while it answers ``deliveries``."""
    store = open_store(f"sqlite:///{folder}/recorded.db")
    batches: list[Batch] = []
    append = store.record_batch

    def recording(items: Sequence[VcaWrite | SummaryWrite]) -> list[object]:
        batches.append(list(items))
        return list(append(items))

    store.record_batch = recording  # type: ignore[method-assign,assignment]
    traffic = Traffic(run=uuid.uuid4().hex[:8], thread=0)
    headers = {"Authorization": SECRET, "Content-Type": "application/json"}
    try:
        with (
            BackgroundServer(create_app(store=store, webhook_secret=SECRET)) as server,
            httpx.Client(base_url=server.url, headers=headers) as client,
        ):
            for _ in range(deliveries):
                delivery = traffic.next()
                client.post(delivery.path, content=delivery.body).raise_for_status()
    finally:
        store.close()
    return batches


def project(store: Store, batches: list[Batch], profile: cProfile.Profile | None) -> float:
    """Append ``batches``, catching up by :data:`BATCH` rows after every :data:`BATCH`
    appended; CPU µs per row projected."""
    cpu = 0.0
    projected = waiting = 0
    for items in batches:
        store.record_batch(items)
        waiting += len(items)
        while waiting >= BATCH:
            if profile is not None:
                profile.enable()
            started = time.thread_time()
            moved = store.catch_up(BATCH, once=True)
            cpu += time.thread_time() - started
            if profile is not None:
                profile.disable()
            projected += moved
            waiting -= moved
    started = time.thread_time()
    projected += store.catch_up(BATCH)
    cpu += time.thread_time() - started
    return cpu / max(projected, 1) * 1e6


@contextmanager
def new_store(postgres: str | None, folder: Path) -> Iterator[Store]:
    if postgres is None:
        with open_store(f"sqlite:///{folder}/{uuid.uuid4().hex[:8]}.db") as store:
            yield store
        return
    import psycopg

    admin = make_url(postgres).set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"bench_projector_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        scoped = make_url(admin).update_query_dict({"options": f"-csearch_path={schema}"})
        with open_store(scoped.render_as_string(hide_password=False)) as store:
            yield store
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database (else SQLite)")
    parser.add_argument("--profile", metavar="FILE")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ivrkit-projector-"))
    batches = recorded_batches(args.deliveries, folder)
    kind = "PostgreSQL" if args.postgres else "SQLite"
    figures = []
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    for round_ in range(args.rounds):
        with new_store(args.postgres, folder) as store:
            figures.append(project(store, batches, profile))
        print(f"{kind} round {round_ + 1}: {figures[-1]:.1f} µs CPU per delivery", flush=True)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"{kind}: {args.deliveries} deliveries, catch-ups of {BATCH}: median "
        f"{statistics.median(figures):.1f}, best {min(figures):.1f} µs CPU per delivery "
        f"(load average {load})"
    )
    if profile is not None:
        profile.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
