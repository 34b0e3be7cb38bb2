"""Folding ended sessions into the counters (``ivrkit_path_sessions``, ``_nodes``, ``_paths``).

The store's projector calls :data:`COUNTERS` inside the transaction that projects a session's
summary (it is registered with the store when :mod:`ivrkit.analytics` is imported, see
:mod:`ivrkit.store._hooks`); a rebuild (:func:`ivrkit.analytics.rebuild`) and the queries read
sessions the same way (:func:`with_steps`) and count them with the same
:func:`~ivrkit.analytics._contribution.contribution`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Text, any_, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from ivrkit.analytics._buckets import SPANS, slot_of
from ivrkit.analytics._contribution import (
    STEP_COLUMNS,
    Contribution,
    SessionFacts,
    Step,
    contribution,
)
from ivrkit.analytics._declared import Declared, declared_of
from ivrkit.store import _schema as schema
from ivrkit.store._hooks import Counters
from ivrkit.store._prepared import Prepared
from ivrkit.store._records import IN_PROGRESS

IN_CHUNK = 500
"""Most session ids in one IN (...) list."""

COUNTER_TABLES = (schema.path_sessions, schema.path_nodes, schema.path_paths)


MINUTE = SPANS[-1]
"""The finest span: every other is a whole number of them, so a session's minute slot gives its
slot at every span (``minute // (span // MINUTE)``)."""
assert all(span % MINUTE == 0 for span in SPANS)


@dataclass
class _Minute:
    """What the sessions that started in one minute (of one flow and version) add up to."""

    sessions: Counter[tuple[str, str]] = field(default_factory=Counter)
    nodes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    paths: Counter[tuple[str, str, int]] = field(default_factory=Counter)


@dataclass
class Tally:
    """Counters keyed by (flow, version, span, slot, ...): what the tables hold, in memory.
    :meth:`add` sums sessions by the minute they started; :meth:`settle` (called before the
    counters are read, negated, merged or written) spreads the sums over every span, once per
    minute rather than once per session."""

    sessions: Counter[tuple[str, str, int, int, str, str]] = field(default_factory=Counter)
    """(flow, version, span, slot, category, outcome) -> sessions."""
    nodes: Counter[tuple[str, str, int, int, str, str, str]] = field(default_factory=Counter)
    """(flow, version, span, slot, node, metric, value) -> count."""
    paths: Counter[tuple[str, str, int, int, str, str, int]] = field(default_factory=Counter)
    """(flow, version, span, slot, path, outcome, bucket) -> sessions."""
    _minutes: dict[tuple[str, str, int], _Minute] = field(default_factory=dict, repr=False)

    def add(self, item: Contribution) -> None:
        key = (item.flow, item.version, slot_of(item.started_at, MINUTE))
        minute = self._minutes.get(key)
        if minute is None:
            minute = self._minutes[key] = _Minute()
        minute.sessions[(item.category, item.outcome)] += 1
        if item.nodes:
            minute.nodes.update(item.nodes)
        if item.path is not None:
            minute.paths[(item.path, item.outcome, item.path_bucket)] += 1

    def settle(self) -> None:
        """Spread what :meth:`add` summed by minute over every span."""
        sessions, nodes, paths = self.sessions, self.nodes, self.paths
        for (flow, version, slot), minute in self._minutes.items():
            for span in SPANS:
                key = (flow, version, span, slot // (span // MINUTE))
                for (category, outcome), n in minute.sessions.items():
                    sessions[(*key, category, outcome)] += n
                for (node, metric, value), n in minute.nodes.items():
                    nodes[(*key, node, metric, value)] += n
                for (path, outcome, path_bucket), n in minute.paths.items():
                    paths[(*key, path, outcome, path_bucket)] += n
        self._minutes.clear()

    def negate(self) -> None:
        """Every count turned negative (to take sessions out of the counters)."""
        self.settle()
        self.sessions = Counter({key: -n for key, n in self.sessions.items()})
        self.nodes = Counter({key: -n for key, n in self.nodes.items()})
        self.paths = Counter({key: -n for key, n in self.paths.items()})

    def merge(self, other: Tally) -> None:
        self.settle()
        other.settle()
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
_STEP_COLUMNS = [_P[name] for name in STEP_COLUMNS]
_STEPS_BY_SESSION = (
    select(*_STEP_COLUMNS)
    .where(_P.session_id.in_(bindparam("ids", expanding=True)))
    .order_by(_P.id)
)
# PostgreSQL takes every id as one array parameter: one round trip whatever their number (a
# 30-day report reads the steps of thousands of sessions still in progress).
_STEPS_BY_SESSION_ARRAY = (
    select(*_STEP_COLUMNS)
    .where(_P.session_id == any_(bindparam("ids", type_=postgresql.ARRAY(Text))))
    .order_by(_P.id)
)


def session_columns() -> tuple[Any, ...]:
    """The session columns :meth:`SessionFacts.from_row` reads (for queries that select them)."""
    return _SESSION_COLUMNS


def steps_of(conn: Connection, session_ids: Sequence[str]) -> dict[str, list[Step]]:
    """The steps of many sessions, each in arrival order."""
    found: dict[str, list[Step]] = {}
    if not session_ids:
        return found
    if conn.dialect.name == "postgresql":
        chunks = [(_STEPS_BY_SESSION_ARRAY, list(session_ids))]
    else:
        chunks = [
            (_STEPS_BY_SESSION, list(session_ids[start : start + IN_CHUNK]))
            for start in range(0, len(session_ids), IN_CHUNK)
        ]
    for query, ids in chunks:
        for row in conn.execute(query, {"ids": ids}):
            found.setdefault(row[0], []).append(Step.from_values(row))
    return found


def with_steps(
    conn: Connection, sessions: Sequence[SessionFacts]
) -> Iterator[tuple[SessionFacts, list[Step], Declared]]:
    """Each session with its steps, and what the tree versions of the steps declare their
    labels count as."""
    steps = steps_of(conn, [session.session_id for session in sessions])
    declared = declared_of(conn, {(s.flow, s.version) for found in steps.values() for s in found})
    for session in sessions:
        yield session, steps.get(session.session_id, []), declared


def ended_facts(conn: Connection, session_ids: Sequence[str]) -> list[SessionFacts]:
    """The rows of those sessions that have ended."""
    facts: list[SessionFacts] = []
    for start in range(0, len(session_ids), IN_CHUNK):
        chunk = list(session_ids[start : start + IN_CHUNK])
        rows = conn.execute(_SESSIONS_BY_ID, {"ids": chunk}).mappings()
        facts.extend(SessionFacts.from_row(row) for row in rows if row["status"] != IN_PROGRESS)
    return facts


def tally_of(conn: Connection, sessions: Sequence[SessionFacts], tally: Tally) -> int:
    """Add what each session contributes to ``tally``; how many sessions counted."""
    counted = 0
    for session, steps, declared in with_steps(conn, sessions):
        item = contribution(session, steps, declared=declared)
        if item is not None:
            tally.add(item)
            counted += 1
    return counted


# -- folding -------------------------------------------------------------------------------------


def fold_sessions(conn: Connection, session_ids: Sequence[str], sign: int = 1) -> int:
    """Add ended sessions to the counters (each must be folded once: when its summary is
    projected, or by a rebuild); sessions still in progress are skipped. ``sign=-1`` takes them
    out again (before a late row changes what they count). Returns how many were folded."""
    tally = Tally()
    folded = tally_of(conn, ended_facts(conn, session_ids), tally)
    if sign < 0:
        tally.negate()
    write_tally(conn, tally)
    if sign < 0:
        for table, column in zip(COUNTER_TABLES, ("sessions", "count", "sessions"), strict=True):
            conn.execute(delete(table).where(table.c[column] == 0))
    return folded


def clear(conn: Connection) -> None:
    """Empty every counter table."""
    for table in COUNTER_TABLES:
        conn.execute(delete(table))


COUNTERS = Counters(fold=fold_sessions, clear=clear)
"""What the store calls to keep the counters (registered by :mod:`ivrkit.analytics`)."""


# -- writing counters ----------------------------------------------------------------------------


def write_tally(conn: Connection, tally: Tally, *, add: bool = True) -> int:
    """Write counters: added to what the tables hold (``add``), or inserted into empty tables
    (a rebuild). Returns the rows written."""
    rows = 0
    tally.settle()
    for table, count_column, items in (
        (schema.path_sessions, "sessions", _rows(tally.sessions, _SESSION_KEYS, "sessions")),
        (schema.path_nodes, "count", _rows(tally.nodes, _NODE_KEYS, "count")),
        (schema.path_paths, "sessions", _rows(tally.paths, _PATH_KEYS, "sessions")),
    ):
        batch = list(items)
        if not batch:
            continue
        if add:
            _adding_prepared(conn.dialect, table, count_column).executemany(conn, batch)
        else:
            for start in range(0, len(batch), 5000):
                conn.execute(insert(table), batch[start : start + 5000])
        rows += len(batch)
    return rows


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
def _adding_prepared(dialect: Dialect, table: Any, count_column: str) -> Prepared:
    """:func:`_adding` compiled once for the dialect (rows keyed by every column)."""
    statement = _adding(dialect.name, table, count_column)
    return Prepared(statement, dialect, [column.key for column in table.c])


@lru_cache(maxsize=16)
def _adding(dialect: str, table: Any, count_column: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE SET count = count + excluded.count."""
    upsert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    keys = [column for column in table.primary_key.columns]
    return upsert.on_conflict_do_update(
        index_elements=keys,
        set_={count_column: table.c[count_column] + upsert.excluded[count_column]},
    )
