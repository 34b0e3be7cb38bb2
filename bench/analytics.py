"""``make bench``, analytics: the report queries over 1,000,000 sessions (~5,000,000 deliveries).

Fills a SQLite file, and a PostgreSQL schema when IVRKIT_BENCH_POSTGRES_URL (or
IVRKIT_TEST_POSTGRES_URL) names a server, with synthetic sessions through the store API
(bench/synthetic.py), then times ``overview()``, ``funnel()`` and ``paths()`` of one tree
over 7 and 30 days, and the slow paths: a caller-number filter and windows that cut days in two.
Each query runs several times; the median is printed beside the 500 ms target.

The filled stores are kept for the next run: the SQLite file in bench/results/analytics/ (ignored
by git) and the PostgreSQL schema ``ivrkit_bench_analytics_<N>``, each with a note of what it
holds. ``--refill`` fills them again; delete the folder (and drop the schema) to get the disk
back. ``--quick`` uses 20,000 sessions (a test runs it to see the script work, not to time it).

Run alone: ``python bench/analytics.py [--sessions N] [--quick] [--refill] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ivrkit.analytics import Analytics, Filters, Window
from ivrkit.store import Store, open_store
from ivrkit.store._schema import REVISION
from ivrkit.trees import load_tree

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / "results" / "analytics"
SESSIONS = 1_000_000
QUICK_SESSIONS = 20_000
DAYS = 35
"""The synthetic sessions spread over this many days before the anchor (the 30-day window fits)."""
TREE = BENCH_DIR / "support_line.yaml"
"""Six menus deep: a synthetic caller answers about four, so a session is about five deliveries."""
SEED = 10
IN_PROGRESS = 0.002
"""Share of sessions left without a summary (calls in progress, or whose summary never came)."""
CUSTOMERS = 50_000
"""Distinct numbers calling: about 20 sessions each at 1,000,000 (the number filter's work)."""
CUSTOMER = "6500004242"
"""The number the one-number queries filter on (synthetic numbers are 65 and eight digits)."""
HOURS = DAYS * 24
TARGET_MS = 500.0
COLD_RUNS = 3
"""Cold runs of each query, each on a store opened for it (the median is judged)."""
ANCHOR = datetime(2026, 3, 1, tzinfo=UTC)
"""The end of the filled data: midnight UTC, so "7 days" and "30 days" are whole days."""


def _postgres_url() -> str | None:
    return os.environ.get("IVRKIT_BENCH_POSTGRES_URL") or os.environ.get("IVRKIT_TEST_POSTGRES_URL")


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Target:
    """One database to fill and query."""

    name: str
    url: str
    note: Path
    """What the database holds: written when a fill completes, read to reuse it."""
    drop: Callable[[], None]
    """Empties the database before a refill."""
    analyze: Callable[[], None] = _nothing
    """Gathers the planner's statistics after a bulk fill."""


def sqlite_target(cache: Path, sessions: int) -> Target:
    path = cache / f"sessions-{sessions}.db"

    def drop() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return Target("SQLite", f"sqlite:///{path}", cache / f"sessions-{sessions}.sqlite.json", drop)


def postgres_target(cache: Path, sessions: int, admin: str) -> Target:
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"ivrkit_bench_analytics_{sessions}"
    url = make_url(admin).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')

    def analyze() -> None:
        # A server with autovacuum on (the default) analyzes a table once enough rows changed;
        # one with it off (test servers often are) never does, and the planner then guesses
        # (path steps by session became a sequential scan of every step). After a bulk fill,
        # ANALYZE, as after a restore, so the plans are the ones a running server would have.
        with psycopg.connect(admin, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
            for (table,) in tables:
                conn.execute(f'ANALYZE "{schema}"."{table}"')

    return Target(
        "PostgreSQL",
        url.render_as_string(hide_password=False),
        cache / f"sessions-{sessions}.postgres.json",
        drop,
        analyze,
    )


def _note_of(target: Target) -> dict[str, Any] | None:
    try:
        note = json.loads(target.note.read_text())
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) else None


def schema_fingerprint() -> str:
    """The store's tables and columns, hashed: a filled store from other tables is filled again
    (a branch may change a table before its migration gets a new revision)."""
    from ivrkit.store import _schema as schema

    shape = sorted(
        f"{table.name}.{column.name}"
        for table in schema.metadata.sorted_tables
        for column in table.columns
    )
    return hashlib.sha256("\n".join(shape).encode()).hexdigest()[:12]


def prepare(
    target: Target,
    sessions: int,
    *,
    refill: bool,
    days: int = DAYS,
    fill_more: bool = True,
    deliveries: bool = True,
) -> dict[str, Any]:
    """Reuse the filled database when its note says it holds what this run needs; go on with a
    fill that was stopped part way (up to ``days`` days); else fill from empty."""
    note = _note_of(target)
    wanted = {
        "sessions": sessions,
        "revision": REVISION,
        "anchor": ANCHOR.isoformat(),
        "tree_version": load_tree(TREE).version,
        "schema": schema_fingerprint(),
    }
    same = note is not None and all(note.get(k) == v for k, v in wanted.items())
    if not refill and same and note is not None and note["hours_done"] >= min(days * 24, HOURS):
        print(f"  {target.name}: reusing the store filled on {note['filled_at']} (--refill)")
        return {**note, "reused": True}
    if not fill_more:
        if not same or note is None:
            raise SystemExit(f"{target.name}: no filled store to time (run without --no-fill)")
        print(f"  {target.name}: timing the {note['hours_done'] // 24} days filled so far")
        return {**note, "reused": True}
    if refill or not same or note is None:
        target.note.unlink(missing_ok=True)
        target.drop()
        note = {**wanted, "hours_done": 0, "fill_seconds": 0.0, "deliveries": 0, "steps": 0}
        note["in_progress"] = 0
    print(
        f"  {target.name}: filling {sessions:,} sessions, hour {note['hours_done']} of {HOURS}, "
        f"up to day {days} ...",
        flush=True,
    )
    store = open_store(target.url, upgrade=True)
    try:
        note = fill(store, sessions, note, target, min(days * 24, HOURS), deliveries)
    finally:
        store.close()
    seconds = note["fill_seconds"]
    done = sum(_per_hour(sessions, hour) for hour in range(note["hours_done"]))
    print(
        f"  {target.name}: {done:,} sessions filled in {seconds:.0f}s "
        f"({done / seconds:,.0f} sessions/s, {note['deliveries']:,} deliveries)",
        flush=True,
    )
    return {**note, "reused": False}


def _per_hour(sessions: int, hour: int) -> int:
    per_hour, extra = divmod(sessions, HOURS)
    return per_hour + (1 if hour < extra else 0)


def _skip_stored_hours(store: Store, note: dict[str, Any]) -> None:
    """A fill stopped between an hour's commit and the note's next save left whole hours (one
    transaction each) the note does not list: go on after them, never store them twice."""
    hour = note["hours_done"]
    while hour < HOURS and store.session(f"bench-{hour}-0") is not None:
        hour += 1
    if hour != note["hours_done"]:
        print(f"  hours {note['hours_done']} to {hour - 1} were stored already; going on after")
        note["hours_done"] = hour


def fill(
    store: Store,
    sessions: int,
    note: dict[str, Any],
    target: Target,
    stop: int,
    deliveries: bool = True,
) -> dict[str, Any]:
    """Fill through the store API (bench/synthetic.py, which writes the rows the webhook
    server writes and folds each ended session into the counters), one hour of calls at a time:
    the counters of an hour are then written once, not once per batch of sessions. The note is
    saved after every day, so a stopped fill goes on where it was."""
    import synthetic

    tree = load_tree(TREE)
    first = ANCHOR - timedelta(days=DAYS)
    began = time.monotonic() - note["fill_seconds"]
    _skip_stored_hours(store, note)
    for hour in range(note["hours_done"], stop):
        since = first + timedelta(hours=hour)
        result = synthetic.fill(
            store,
            _per_hour(sessions, hour),
            since=since,
            until=since + timedelta(hours=1),
            tree=tree,
            seed=hour,
            prefix="bench",
            in_progress=IN_PROGRESS,
            customers=CUSTOMERS,
            deliveries=deliveries,
        )
        note["hours_done"] = hour + 1
        note["steps"] += result.steps
        note["deliveries"] += result.deliveries
        note["in_progress"] += result.in_progress
        note["fill_seconds"] = round(time.monotonic() - began, 1)
        if note["hours_done"] % 24 == 0 or note["hours_done"] == stop:
            done = note["hours_done"] == HOURS
            note.update(
                flow=tree.name,
                customer=CUSTOMER,
                complete=done,
                filled_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            target.note.write_text(json.dumps(note, indent=2) + "\n")
            print(
                f"  {target.name}: day {note['hours_done'] // 24} of {DAYS} "
                f"({note['fill_seconds']:.0f}s)",
                flush=True,
            )
    return note


@dataclass(frozen=True)
class Query:
    name: str
    run: Callable[[Analytics], object]


def queries(flow: str, customer: str | None, end: datetime = ANCHOR) -> list[Query]:
    """The queries timed, over the windows that end at ``end`` (the anchor, or the end of the
    days filled so far: a 30-day window needs 30 days)."""
    week = Window(since=end - timedelta(days=7), until=end)
    month = Window(since=end - timedelta(days=30), until=end)
    # Both ends inside a day: the edges cannot come from whole-day aggregates.
    ragged = Window(
        since=end - timedelta(days=7) + timedelta(hours=13, minutes=17),
        until=end - timedelta(hours=9, minutes=41),
    )
    tree = Filters(flow=flow)
    chosen = [
        Query("overview 7d", lambda a: a.overview(week, tree)),
        Query("funnel 7d", lambda a: a.funnel(flow, week, tree)),
        Query("paths 7d", lambda a: a.paths(flow, week, tree)),
        Query("overview 30d", lambda a: a.overview(month, tree)),
        Query("funnel 30d", lambda a: a.funnel(flow, month, tree)),
        Query("paths 30d", lambda a: a.paths(flow, month, tree)),
        Query("overview 7d, partial days", lambda a: a.overview(ragged, tree)),
        Query("funnel 7d, partial days", lambda a: a.funnel(flow, ragged, tree)),
        Query("paths 7d, partial days", lambda a: a.paths(flow, ragged, tree)),
    ]
    if customer is not None:
        caller = Filters(flow=flow, customer=customer)
        chosen += [
            Query("overview 30d, one number", lambda a: a.overview(month, caller)),
            Query("funnel 30d, one number", lambda a: a.funnel(flow, month, caller)),
        ]
    first = ANCHOR - timedelta(days=DAYS)
    days = (end - first).days
    return [query for query in chosen if "30d" not in query.name or days >= 30]


def time_queries(
    url: str, chosen: list[Query], runs: int, cold_runs: int = COLD_RUNS
) -> list[dict[str, Any]]:
    """Each query ``cold_runs`` times on a store opened for that run (a new engine and
    connection: cold for the connection, SQLite's page cache, PostgreSQL's plan cache and the
    statement caches of this process; the OS file cache and PostgreSQL's shared buffers stay as
    they are), then ``runs`` more times on the last one (warm). The median of each is judged,
    the minimum is shown beside it (the least a busy machine added)."""
    rows: list[dict[str, Any]] = []
    for query in chosen:
        cold: list[float] = []
        warm: list[float] = []
        cpu: list[float] = []
        for turn in range(cold_runs):
            store = open_store(url)
            try:
                analytics = Analytics(store)
                cold.append(_timed(query, analytics)[0])
                if turn < cold_runs - 1:
                    continue
                for _ in range(runs):
                    took, used = _timed(query, analytics)
                    warm.append(took)
                    cpu.append(used)
            finally:
                store.close()
        rows.append(
            {
                "query": query.name,
                "cold_ms": round(statistics.median(cold), 1),
                "cold_min_ms": round(min(cold), 1),
                "median_ms": round(statistics.median(warm), 1),
                "warm_min_ms": round(min(warm), 1),
                "max_ms": round(max(warm), 1),
                # This process's CPU: all of SQLite's work, only the client's on PostgreSQL.
                "median_cpu_ms": round(statistics.median(cpu), 1),
                "load_average": round(os.getloadavg()[0], 1),
                "pass": max(statistics.median(cold), statistics.median(warm)) < TARGET_MS,
            }
        )
    return rows


def _timed(query: Query, analytics: Analytics) -> tuple[float, float]:
    """Wall and CPU milliseconds of one run."""
    began, used = time.perf_counter(), time.process_time()
    query.run(analytics)
    return (time.perf_counter() - began) * 1000, (time.process_time() - used) * 1000


def print_table(results: dict[str, dict[str, Any]]) -> None:
    """Per database, in ms: cold and warm, each as median/minimum (MISS when a median is over
    the target), and the median CPU time of this process when warm (SQLite runs inside it; for
    PostgreSQL the client's part: reading the rows and counting what the counters cannot
    answer)."""
    names = list(results)
    if not names:
        return
    print()
    header = f"  {'query':<28}"
    header += "".join(
        f"{name + ' cold med/min':>28}{'warm med/min':>16}{'cpu':>6}" for name in names
    )
    print(header + f"{'target':>10}")
    rows = {
        name: {row["query"]: row for row in result["queries"]} for name, result in results.items()
    }
    for query in rows[names[0]]:
        line = f"  {query:<28}"
        for name in names:
            row = rows[name].get(query)
            if row is None:
                line += f"{'-':>28}{'-':>16}{'-':>6}"
                continue
            mark = "" if row["pass"] else "MISS "
            cold = f"{row['cold_ms']:.1f}/{row['cold_min_ms']:.1f}"
            warm = f"{row['median_ms']:.1f}/{row['warm_min_ms']:.1f}"
            line += f"{mark + cold:>28}{warm:>16}{row['median_cpu_ms']:>6.0f}"
        print(line + f"{TARGET_MS:>7.0f} ms")
    loads = [row["load_average"] for result in results.values() for row in result["queries"]]
    print(f"  (load average while timing: {min(loads)} to {max(loads)} on {os.cpu_count()} cores)")
    for name, result in results.items():
        fill = result["store"]
        how = "reused" if fill["reused"] else "filled now"
        done = sum(_per_hour(fill["sessions"], hour) for hour in range(fill["hours_done"]))
        print(
            f"  {name}: {done:,} sessions ({fill['hours_done'] // 24} of {DAYS} days of the "
            f"{fill['sessions']:,}-session store), {fill.get('deliveries', 0):,} deliveries; "
            f"fill took {fill['fill_seconds']:.0f}s ({how})"
        )


def _mark(name: str, value: object, wanted: str, met: bool, shown: str) -> dict[str, Any]:
    print(f"  {'met   ' if met else 'MISSED'}  {name}: {shown} (target {wanted})", flush=True)
    return {"name": name, "value": value, "target": wanted, "met": met, "shown": shown}


def analytics_bench(
    sessions: int,
    *,
    runs: int,
    refill: bool,
    postgres_url: str | None = None,
    mark: Callable[..., dict[str, Any]] = _mark,
    cache: Path = CACHE_DIR,
    sqlite: bool = True,
    postgres: bool = True,
    days: int = DAYS,
    fill_more: bool = True,
    deliveries: bool = True,
    cold_runs: int = COLD_RUNS,
) -> dict[str, Any]:
    print(f"== analytics: report queries over {sessions:,} sessions, cold and warm ==")
    cache.mkdir(parents=True, exist_ok=True)
    targets = [sqlite_target(cache, sessions)] if sqlite else []
    admin = (postgres_url or _postgres_url()) if postgres else None
    if admin is not None:
        targets.append(postgres_target(cache, sessions, admin))
    elif postgres:
        print("  PostgreSQL: skipped (set IVRKIT_BENCH_POSTGRES_URL or IVRKIT_TEST_POSTGRES_URL)")
    results: dict[str, dict[str, Any]] = {}
    for target in targets:
        note = prepare(
            target,
            sessions,
            refill=refill,
            days=days,
            fill_more=fill_more,
            deliveries=deliveries,
        )
        if not note.get("analyzed") or not note["reused"]:
            target.analyze()
            note["analyzed"] = True
            if target.note.exists():
                saved = json.loads(target.note.read_text())
                target.note.write_text(json.dumps({**saved, "analyzed": True}, indent=2) + "\n")
        end = ANCHOR - timedelta(days=DAYS) + timedelta(days=note["hours_done"] // 24)
        if end < ANCHOR:
            print(
                f"  {target.name}: the fill is at day {note['hours_done'] // 24} of {DAYS} "
                f"(full density): the windows end there, longer ones are left out"
            )
        chosen = queries(note["flow"], note.get("customer"), end)
        results[target.name] = {
            "store": note,
            "queries": time_queries(target.url, chosen, runs, cold_runs),
        }
    print_table(results)
    return {
        "target_ms": TARGET_MS,
        "runs": runs,
        "cold_runs": cold_runs,
        "databases": results,
        "targets": verdicts(results, mark),
    }


def verdicts(
    results: dict[str, dict[str, Any]], mark: Callable[..., dict[str, Any]]
) -> list[dict[str, Any]]:
    """The issue's targets: overview, funnel and paths over 30 days, cold and warm."""
    marks = []
    for name, result in results.items():
        for row in result["queries"]:
            if row["query"] not in ("overview 30d", "funnel 30d", "paths 30d"):
                continue
            for temperature, key in (("cold", "cold_ms"), ("warm", "median_ms")):
                marks.append(
                    mark(
                        f"{row['query']} on {name}, {temperature}",
                        row[key],
                        f"< {TARGET_MS:g} ms",
                        row[key] < TARGET_MS,
                        f"{row[key]:,.1f} ms",
                    )
                )
    return marks


def explain(url: str, admin: str, chosen: list[Query]) -> None:
    """Run each query once and print, for every statement it sent, PostgreSQL's EXPLAIN ANALYZE
    of it (run again on a connection of its own), with the time the statement took from here
    and the time the query spent outside the database."""
    import psycopg
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    sent: list[tuple[float, str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        conn.info["bench_began"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        took = (time.perf_counter() - conn.info.pop("bench_began")) * 1000
        sent.append((took, statement, parameters))

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    store = open_store(url)
    options = dict(make_search_path(url))
    try:
        analytics = Analytics(store)
        with psycopg.connect(admin, autocommit=True, **options) as pg:
            for query in chosen:
                sent.clear()
                began = time.perf_counter()
                query.run(analytics)
                total = (time.perf_counter() - began) * 1000
                in_db = sum(took for took, _, _ in sent)
                print(
                    f"\n== {query.name}: {total:,.1f} ms, {in_db:,.1f} ms of it in "
                    f"{len(sent)} statements"
                )
                for took, statement, parameters in list(sent):
                    print(f"-- {took:,.1f} ms: {' '.join(statement.split())[:160]}")
                    plan = pg.execute(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement,  # type: ignore[arg-type]
                        parameters,
                    ).fetchall()
                    for (line,) in plan:
                        print(f"   {line}")
    finally:
        store.close()
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)


def make_search_path(url: str) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    found = make_url(url).query.get("options")
    return {"options": found if isinstance(found, str) else found[0]} if found else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS, help="sessions to fill")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SESSIONS:,} sessions")
    parser.add_argument("--runs", type=int, default=5, help="warm runs of each query")
    parser.add_argument(
        "--cold-runs", type=int, default=COLD_RUNS, help="cold runs of each query (new store each)"
    )
    parser.add_argument("--refill", action="store_true", help="fill again, even when cached")
    parser.add_argument("--cache", type=Path, default=CACHE_DIR, help="where the stores are kept")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        help="only this one (default: SQLite, and PostgreSQL when a URL is set)",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=DAYS,
        help=f"fill only this many of the {DAYS} days (at full density); a later run goes on",
    )
    parser.add_argument(
        "--no-fill", action="store_true", help="time what is filled already, fill nothing"
    )
    parser.add_argument(
        "--no-deliveries",
        action="store_true",
        help="fill no delivery rows (analytics reads none; the fill takes less time)",
    )
    parser.add_argument(
        "--explain",
        metavar="QUERY",
        action="append",
        help="PostgreSQL: EXPLAIN ANALYZE every statement of this query (e.g. 'funnel 30d')",
    )
    args = parser.parse_args(argv)
    sessions = QUICK_SESSIONS if args.quick else args.sessions
    if args.explain:
        admin = _postgres_url()
        if admin is None:
            parser.error("--explain needs IVRKIT_BENCH_POSTGRES_URL")
        target = postgres_target(args.cache, sessions, admin)
        note = _note_of(target)
        if note is None:
            parser.error("no filled PostgreSQL store to explain")
        end = ANCHOR - timedelta(days=DAYS) + timedelta(days=note["hours_done"] // 24)
        chosen = [q for q in queries(note["flow"], note.get("customer"), end)]
        explain(target.url, admin, [q for q in chosen if q.name in args.explain])
        return 0
    report = analytics_bench(
        sessions,
        runs=args.runs,
        refill=args.refill,
        cache=args.cache,
        sqlite=args.database in (None, "sqlite"),
        postgres=args.database in (None, "postgres"),
        days=args.days,
        fill_more=not args.no_fill,
        deliveries=not args.no_deliveries,
        cold_runs=args.cold_runs,
    )
    out = args.cache / f"latest-{sessions}{'-' + args.database if args.database else ''}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
