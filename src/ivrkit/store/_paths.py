"""A session's path through its tree, counted: the one computation behind path analytics, whether
a session is folded into the counters when its summary is stored, the counters are rebuilt, or a
query counts raw rows (sessions in progress, partial slots, filters the counters do not know).

Counters are kept per (flow, tree version, time slot of the session's start, see SPANS). Times
spent are kept
as log-scale histograms (:func:`bucket`): a median read from them is the middle of the bucket
that holds the true median, within 10 % of it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ivrkit import _outcomes as outcomes
from ivrkit.store import _schema as schema
from ivrkit.store._records import CALL_PLACED, IN_PROGRESS

END = "(end)"
"""The transition counted when a call ends at a node."""

BASE_SECONDS = 0.25
"""Upper edge of bucket 0: times below it are one bucket."""
PER_DOUBLING = 4
"""Buckets per doubling of time: each bucket is 2^(1/4) (19 %) wide."""
LAST_BUCKET = 80
"""Bucket of everything from 0.25 * 2^(79/4) s (about 2.5 days) on."""
UNKNOWN_BUCKET = -1
"""The time is not known (no start or end time)."""

STALE_STATUS = "COMPLETED"
"""The status a session without a summary is counted with once it is stale: the caller most
likely hung up, the summary was lost (its label, if it reached one, still decides)."""

IN_CHUNK = 500
"""Most session ids in one IN (...) list."""

NodeKey = tuple[str, str, str]
"""(node, metric, value)."""


def bucket(seconds: float) -> int:
    """The histogram bucket of a duration (negative durations count as 0)."""
    if seconds < BASE_SECONDS:
        return 0
    return min(LAST_BUCKET, 1 + int(math.floor(math.log2(seconds / BASE_SECONDS) * PER_DOUBLING)))


def bucket_seconds(index: int) -> float:
    """The value a bucket stands for: its geometric middle (half of BASE_SECONDS for bucket 0)."""
    if index <= 0:
        return BASE_SECONDS / 2
    return BASE_SECONDS * 2 ** ((index - 0.5) / PER_DOUBLING)


def median_seconds(histogram: Mapping[int, int]) -> float | None:
    """The median of a histogram of buckets (the lower median), None when it is empty."""
    known = sorted((b, n) for b, n in histogram.items() if b != UNKNOWN_BUCKET and n > 0)
    total = sum(n for _, n in known)
    if total == 0:
        return None
    rank = (total + 1) // 2
    seen = 0
    for index, count in known:
        seen += count
        if seen >= rank:
            return round(bucket_seconds(index), 3)
    return None  # pragma: no cover - the loop always reaches the rank


SPANS = (86_400, 3_600, 600, 60)
"""The spans (seconds) every counter is kept at: a day, an hour, 10 minutes, a minute. A window
is read from whole days, whole hours at its edges, whole 10 minutes at theirs, whole minutes at
theirs; what is left (less than a minute at each edge) is counted from raw rows."""


def slot_of(moment: datetime, span: int) -> int:
    """The slot of a moment at a span: whole spans since the epoch (UTC)."""
    return math.floor(moment.timestamp() / span)


@dataclass(frozen=True)
class Step:
    """One answered CALL_ACTION as stored in ``ivrkit_path_steps``."""

    session_id: str
    at: datetime
    flow: str
    version: str
    heard: str | None
    replay: int
    digits: str | None
    route: str | None
    route_value: str | None
    led_to: str | None
    passed: tuple[str, ...]
    more: tuple[tuple[str, str, str | None, str | None], ...]
    label: str | None
    label_transfer: bool

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Step:
        more: list[list[Any]] = json.loads(row["more_routes"]) if row["more_routes"] else []
        return cls(
            session_id=row["session_id"],
            at=row["at"],
            flow=row["flow"],
            version=row["version"],
            heard=row["heard"],
            replay=row["replay"],
            digits=row["digits"],
            route=row["route"],
            route_value=row["route_value"],
            led_to=row["led_to"],
            passed=tuple(row["passed"].split()),
            more=tuple((str(r[0]), str(r[1]), r[2], r[3]) for r in more),
            label=row["label"],
            label_transfer=bool(row["label_transfer"]),
        )


@dataclass(frozen=True)
class SessionFacts:
    """What the counting needs of a session row."""

    session_id: str
    status: str
    flow: str | None
    started_at: datetime | None
    ended_at: datetime | None
    label: str | None
    updated_at: datetime
    customer: str | None = None
    client_request_id: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> SessionFacts:
        return cls(
            session_id=row["session_id"],
            status=row["status"],
            flow=row["flow"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            label=row["outcome"],
            updated_at=row["updated_at"],
            customer=row["customer"],
            client_request_id=row["client_request_id"],
        )


@dataclass
class Contribution:
    """What one session adds to the counters."""

    flow: str
    version: str
    started_at: datetime
    category: str
    outcome: str
    """The outcome (label or derived), '' while in progress."""
    nodes: Counter[NodeKey] = field(default_factory=Counter)
    path: str | None = None
    """The nodes visited, space-separated, replays collapsed; None while in progress."""
    path_bucket: int = UNKNOWN_BUCKET


def contribution(
    session: SessionFacts, steps: Sequence[Step], *, stale: bool = False
) -> Contribution | None:
    """What a session adds to the counters, from its row and its steps in arrival order; None
    for a session with no known start (it belongs to no time window). ``stale``: a session
    without a summary is counted as ended (:data:`STALE_STATUS`)."""
    # The step that placed an outbound call comes first, even when the call's first event was
    # stored before it (the platform may call back before Send Callflow has returned).
    steps = sorted(steps, key=lambda step: step.route != CALL_PLACED)
    start = session.started_at or (steps[0].at if steps else None)
    if start is None:
        return None
    status = session.status
    if status == IN_PROGRESS and stale:
        status = STALE_STATUS
    digits = [step.digits for step in steps if step.digits]
    outcome = None  # in progress, even past a labelled node: the caller may go on
    if status != IN_PROGRESS:
        outcome = outcomes.derive(status, session.label, digits=digits, in_progress=IN_PROGRESS)
    on_transfer = False
    for step in steps:
        if session.label is not None and step.label == session.label:
            on_transfer = step.label_transfer
    category = outcomes.category(outcome, on_transfer=on_transfer)
    if outcome in outcomes.NOT_REACHED:  # busy, not answered, ...: nobody heard the entry
        steps = [step for step in steps if step.route != CALL_PLACED]
    result = Contribution(
        flow=session.flow or (steps[0].flow if steps else ""),
        version=steps[0].version if steps else "",
        started_at=start,
        category=category,
        outcome=outcome or "",
    )
    nodes = result.nodes
    visits: list[tuple[str, datetime | None]] = []
    for index, step in enumerate(steps):
        if step.heard is not None and (not visits or visits[-1][0] != step.heard):
            # The caller heard it before this first event: since the call started.
            visits.append((step.heard, start if index == 0 else None))
        if visits and visits[-1][1] is not None:
            waited = visits[-1]
            assert waited[1] is not None
            nodes[(waited[0], "time", str(bucket((step.at - waited[1]).total_seconds())))] += 1
        if step.heard is not None and step.route is not None:
            _count_route(nodes, step.heard, step.route, step.route_value, step.led_to)
        for node, kind, value, to in step.more:
            _count_route(nodes, node, kind, value, to)
        visits.extend((node, step.at) for node in step.passed)
    for node, _ in visits:
        nodes[(node, "visit", "")] += 1
    for node in {node for node, _ in visits}:
        nodes[(node, "reached", "")] += 1
    if outcome is None:
        return result
    if visits:
        last, arrived = visits[-1]
        nodes[(last, "next", END)] += 1
        if category == outcomes.ABANDONED:
            nodes[(last, "dropped", "")] += 1
        if arrived is not None and session.ended_at is not None:
            nodes[(last, "time", str(bucket((session.ended_at - arrived).total_seconds())))] += 1
    collapsed = [node for i, (node, _) in enumerate(visits) if i == 0 or visits[i - 1][0] != node]
    result.path = " ".join(collapsed)
    reached_at = session.ended_at
    if session.label is not None:
        reached_at = next((step.at for step in steps if step.label == session.label), reached_at)
    if reached_at is not None:
        result.path_bucket = bucket((reached_at - start).total_seconds())
    return result


def _count_route(
    nodes: Counter[NodeKey], node: str, kind: str, value: str | None, to: str | None
) -> None:
    nodes[(node, "route", kind)] += 1
    if kind == "key":
        nodes[(node, "key", value or "")] += 1
    elif kind in ("invalid", "no-input", "retries-exhausted"):
        nodes[(node, kind, "")] += 1
        if kind != "retries-exhausted" and to == node:
            nodes[(node, "retry", "")] += 1
    if to is not None:
        nodes[(node, "next", to)] += 1


@dataclass
class Tally:
    """Counters keyed by (flow, version, span, slot, ...): what the tables hold, in memory."""

    sessions: Counter[tuple[str, str, int, int, str, str]] = field(default_factory=Counter)
    """(flow, version, span, slot, category, outcome) -> sessions."""
    nodes: Counter[tuple[str, str, int, int, str, str, str]] = field(default_factory=Counter)
    """(flow, version, span, slot, node, metric, value) -> count."""
    paths: Counter[tuple[str, str, int, int, str, str, int]] = field(default_factory=Counter)
    """(flow, version, span, slot, path, outcome, bucket) -> sessions."""

    def add(self, item: Contribution) -> None:
        for span in SPANS:
            key = (item.flow, item.version, span, slot_of(item.started_at, span))
            self.sessions[(*key, item.category, item.outcome)] += 1
            for (node, metric, value), count in item.nodes.items():
                self.nodes[(*key, node, metric, value)] += count
            if item.path is not None:
                self.paths[(*key, item.path, item.outcome, item.path_bucket)] += 1

    def negate(self) -> None:
        """Every count turned negative (to take sessions out of the counters)."""
        self.sessions = Counter({key: -n for key, n in self.sessions.items()})
        self.nodes = Counter({key: -n for key, n in self.nodes.items()})
        self.paths = Counter({key: -n for key, n in self.paths.items()})

    def merge(self, other: Tally) -> None:
        self.sessions.update(other.sessions)
        self.nodes.update(other.nodes)
        self.paths.update(other.paths)


# -- reading raw rows ----------------------------------------------------------------------------

_S = schema.sessions.c
_P = schema.path_steps.c
_SESSION_COLUMNS = (
    _S.session_id,
    _S.status,
    _S.flow,
    _S.started_at,
    _S.ended_at,
    _S.outcome,
    _S.updated_at,
    _S.customer,
    _S.client_request_id,
)
_SESSIONS_BY_ID = select(*_SESSION_COLUMNS).where(
    _S.session_id.in_(bindparam("ids", expanding=True))
)
_STEPS_BY_SESSION = (
    select(schema.path_steps)
    .where(_P.session_id.in_(bindparam("ids", expanding=True)))
    .order_by(_P.id)
)


def session_columns() -> tuple[Any, ...]:
    """The session columns :meth:`SessionFacts.from_row` reads (for queries that select them)."""
    return _SESSION_COLUMNS


def steps_of(conn: Connection, session_ids: Sequence[str]) -> dict[str, list[Step]]:
    """The steps of many sessions, each in arrival order."""
    found: dict[str, list[Step]] = {}
    for start in range(0, len(session_ids), IN_CHUNK):
        chunk = list(session_ids[start : start + IN_CHUNK])
        for row in conn.execute(_STEPS_BY_SESSION, {"ids": chunk}).mappings():
            found.setdefault(row["session_id"], []).append(Step.from_row(row))
    return found


def with_steps(
    conn: Connection, sessions: Sequence[SessionFacts]
) -> Iterator[tuple[SessionFacts, list[Step]]]:
    """Each session with its steps."""
    steps = steps_of(conn, [session.session_id for session in sessions])
    for session in sessions:
        yield session, steps.get(session.session_id, [])


def fold_sessions(conn: Connection, session_ids: Sequence[str], *, sign: int = 1) -> int:
    """Add ended sessions to the counters (each must be folded once: when its summary is stored,
    or by a rebuild); sessions still in progress are skipped. ``sign=-1`` takes them out again
    (before a late row changes what they count). Returns how many were folded."""
    facts: list[SessionFacts] = []
    for start in range(0, len(session_ids), IN_CHUNK):
        chunk = list(session_ids[start : start + IN_CHUNK])
        rows = conn.execute(_SESSIONS_BY_ID, {"ids": chunk}).mappings()
        facts.extend(SessionFacts.from_row(row) for row in rows if row["status"] != IN_PROGRESS)
    tally = Tally()
    folded = 0
    for session, steps in with_steps(conn, facts):
        item = contribution(session, steps)
        if item is not None:
            tally.add(item)
            folded += 1
    if sign < 0:
        tally.negate()
    write_tally(conn, tally)
    if sign < 0:
        for table, column in (
            (schema.path_sessions, "sessions"),
            (schema.path_nodes, "count"),
            (schema.path_paths, "sessions"),
        ):
            conn.execute(delete(table).where(table.c[column] == 0))
    return folded


# -- writing counters ----------------------------------------------------------------------------


def write_tally(conn: Connection, tally: Tally, *, add: bool = True) -> int:
    """Write counters: added to what the tables hold (``add``), or inserted into empty tables
    (a rebuild). Returns the rows written."""
    rows = 0
    for table, count_column, items in (
        (schema.path_sessions, "sessions", _rows(tally.sessions, _SESSION_KEYS, "sessions")),
        (schema.path_nodes, "count", _rows(tally.nodes, _NODE_KEYS, "count")),
        (schema.path_paths, "sessions", _rows(tally.paths, _PATH_KEYS, "sessions")),
    ):
        batch = list(items)
        if not batch:
            continue
        statement = _adding(conn.dialect.name, table, count_column) if add else insert(table)
        for start in range(0, len(batch), 5000):
            conn.execute(statement, batch[start : start + 5000])
        rows += len(batch)
    return rows


def clear(conn: Connection) -> None:
    """Empty every counter table."""
    for table in (schema.path_sessions, schema.path_nodes, schema.path_paths):
        conn.execute(delete(table))


_SESSION_KEYS = ("flow", "version", "span", "slot", "category", "outcome")
_NODE_KEYS = ("flow", "version", "span", "slot", "node", "metric", "value")
_PATH_KEYS = ("flow", "version", "span", "slot", "path", "outcome", "bucket")


def _rows(
    counter: Mapping[tuple[Any, ...], int], keys: Sequence[str], count: str
) -> Iterable[dict[str, Any]]:
    for key, value in sorted(counter.items()):
        if value:
            yield {**dict(zip(keys, key, strict=True)), count: value}


@lru_cache(maxsize=16)
def _adding(dialect: str, table: Any, count_column: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE SET count = count + excluded.count."""
    upsert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    keys = [column for column in table.primary_key.columns]
    return upsert.on_conflict_do_update(
        index_elements=keys,
        set_={count_column: table.c[count_column] + upsert.excluded[count_column]},
    )
