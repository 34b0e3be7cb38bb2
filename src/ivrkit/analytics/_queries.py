"""Answering analytics questions: whole slots from the counters, the rest from raw rows.

A window ``[since, until)`` splits into the whole days inside it, the whole hours left at its
edges, then whole 10 minutes and whole minutes, all read from the counters (ended sessions,
folded when their summary was stored: :data:`ivrkit.analytics._buckets.SPANS`). What the
counters cannot answer is counted from the sessions and their steps with
:func:`ivrkit.analytics._contribution.contribution`, the computation that fills the counters:
the less than a minute left at each edge, the sessions still in progress, and every session
when the filters name a campaign or a customer.

A session whose summary never comes stays in progress in the store; once nothing was heard of it
for ``stale_after`` (default one hour) it is counted as ended, as the platform would most likely
have reported it (abandoned, or its outcome label when it reached one), and no longer in
``in_progress``. Should its summary arrive after all, the summary decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, union_all

from ivrkit._outcomes import CATEGORIES, IN_PROGRESS_CATEGORY
from ivrkit.analytics._buckets import SPANS, median_seconds
from ivrkit.analytics._contribution import Contribution, NodeKey, SessionFacts, contribution
from ivrkit.analytics._folding import session_columns, with_steps
from ivrkit.analytics._model import (
    Bucket,
    Filters,
    Funnel,
    NodeStats,
    Overview,
    PathCount,
    Report,
    Window,
)
from ivrkit.store import IN_PROGRESS, Store
from ivrkit.store import _schema as schema

NO_FILTERS = Filters()

STALE_AFTER = timedelta(hours=1)
"""How long a session without a summary stays in progress after its last event."""

_S = schema.sessions.c
_PS = schema.path_sessions.c
_PN = schema.path_nodes.c
_PP = schema.path_paths.c


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Analytics:
    """Overview, funnel and paths of the calls in a store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = _utc_now,
        stale_after: timedelta = STALE_AFTER,
        use_counters: bool = True,
    ) -> None:
        self.store = store
        self.clock = clock
        self.stale_after = stale_after
        self.use_counters = use_counters
        """False: count everything from the raw rows (slow; to check the counters)."""

    # -- the questions ---------------------------------------------------------------------------

    def overview(self, window: Window, filters: Filters = NO_FILTERS) -> Overview:
        """Sessions started in the window, by category and outcome, with a series over time."""
        # An hourly series needs no day counters; a daily one takes them whole.
        spans = SPANS[1:] if window.hourly else SPANS
        plan = _plan(window, filters, spans, self.use_counters)
        starts: Counter[tuple[int, str, str]] = Counter()
        with self.store.reading() as conn:
            if plan.slots:
                query = (
                    select(_PS.span, _PS.slot, _PS.category, _PS.outcome, func.sum(_PS.sessions))
                    .where(*_counter_filters(_PS, plan, filters))
                    .group_by(_PS.span, _PS.slot, _PS.category, _PS.outcome)
                )
                for span, slot, category, outcome, count in conn.execute(query):
                    starts[(span * slot, category, outcome)] += int(count)
            for item in self._raw(conn, window, plan, filters, walked=False):
                starts[(int(item.started_at.timestamp()), item.category, item.outcome)] += 1
        return _overview(window, filters, starts)

    def funnel(self, flow: str, window: Window, filters: Filters = NO_FILTERS) -> Funnel:
        """Per node of ``flow``: reached, keys, invalid entries, silences, retries, drop-off,
        where callers went next and the median time spent."""
        filters = _with_flow(filters, flow)
        counts: Counter[NodeKey] = Counter()
        with self.store.reading() as conn:
            plan = _plan(window, filters, SPANS, self.use_counters)
            if plan.slots:
                query = (
                    select(_PN.node, _PN.metric, _PN.value, func.sum(_PN.count))
                    .where(*_counter_filters(_PN, plan, filters))
                    .group_by(_PN.node, _PN.metric, _PN.value)
                )
                for node, metric, value, count in conn.execute(query):
                    counts[(node, metric, value)] += int(count)
            for item in self._raw(conn, window, plan, filters):
                counts.update(item.nodes)
        return Funnel(flow=flow, window=window, filters=filters, nodes=_node_stats(counts))

    def paths(
        self, flow: str, window: Window, filters: Filters = NO_FILTERS, limit: int = 10
    ) -> list[PathCount]:
        """The ``limit`` most frequent paths of ended sessions through ``flow``, with their
        outcome and median time to it."""
        filters = _with_flow(filters, flow)
        counts: Counter[tuple[str, str, int]] = Counter()
        with self.store.reading() as conn:
            plan = _plan(window, filters, SPANS, self.use_counters)
            if plan.slots:
                query = (
                    select(_PP.path, _PP.outcome, _PP.bucket, func.sum(_PP.sessions))
                    .where(*_counter_filters(_PP, plan, filters))
                    .group_by(_PP.path, _PP.outcome, _PP.bucket)
                )
                for path, outcome, bucket, count in conn.execute(query):
                    counts[(path, outcome, bucket)] += int(count)
            for item in self._raw(conn, window, plan, filters):
                if item.path is not None:
                    counts[(item.path, item.outcome, item.path_bucket)] += 1
        return _top_paths(counts, limit)

    def report(self, flow: str | None, window: Window, filters: Filters = NO_FILTERS) -> Report:
        """The overview, and for a flow its funnel and top paths."""
        if flow is None:
            return Report(overview=self.overview(window, filters), funnel=None, paths=[])
        filters = _with_flow(filters, flow)
        return Report(
            overview=self.overview(window, filters),
            funnel=self.funnel(flow, window, filters),
            paths=self.paths(flow, window, filters),
        )

    def in_progress(self) -> int:
        """Calls in progress right now: no summary yet, and an event within ``stale_after``."""
        query = select(func.count()).where(
            _S.status == IN_PROGRESS, _S.updated_at >= self.clock() - self.stale_after
        )
        with self.store.reading() as conn:
            return int(conn.execute(query).scalar_one())

    def flows(self) -> list[str]:
        """The trees that have sessions (ended ones in the counters, or in progress)."""
        with self.store.reading() as conn:
            ended = conn.execute(select(_PS.flow).distinct()).scalars().all()
            open_ = conn.execute(
                select(_S.flow).distinct().where(_S.status == IN_PROGRESS, _S.flow.is_not(None))
            ).scalars()
            return sorted({flow for flow in [*ended, *open_] if flow})

    # -- counters and raw rows -------------------------------------------------------------------

    def _raw(
        self, conn: Connection, window: Window, plan: _Plan, filters: Filters, walked: bool = True
    ) -> Iterable[Contribution]:
        """The contributions the counters cannot give, for sessions started in the window
        (``walked=False``: without nodes and path, for the overview)."""
        flow = [_S.flow == filters.flow] if filters.flow is not None else []
        wanted: list[Any] = []
        if filters.needs_raw_rows:
            wanted.append(and_(*_started(window.since, window.until), *flow, *_people(filters)))
        else:
            # Ended or not, in what the counters leave at the edges ...
            for since, until in plan.raw:
                wanted.append(and_(*_started(since, until), *flow))
            # ... and in the slots they answer, only the sessions they do not hold yet.
            for since, until in plan.covered:
                wanted.append(and_(*_started(since, until), _S.status == IN_PROGRESS, *flow))
        facts: list[SessionFacts] = []
        if wanted:  # one round trip; each branch (disjoint from the others) an index range
            parts = [select(*session_columns()).where(where) for where in wanted]
            query = parts[0] if len(parts) == 1 else union_all(*parts)
            rows = conn.execute(query).mappings()
            facts.extend(SessionFacts.from_row(row) for row in rows)
        stale_before = self.clock() - self.stale_after
        for session, steps, declared in with_steps(conn, facts):
            stale = session.status == IN_PROGRESS and session.updated_at < stale_before
            item = contribution(session, steps, stale=stale, declared=declared, walked=walked)
            if item is None or item.started_at not in window:
                continue
            if filters.flow is not None and item.flow != filters.flow:
                continue
            if filters.version is not None and item.version != filters.version:
                continue
            yield item


@dataclass(frozen=True)
class _Plan:
    """How a window is answered: counter slots, and the time ranges counted from raw rows."""

    slots: list[tuple[int, int, int]]
    """(span, first slot, last slot + 1) read from the counters."""
    raw: list[tuple[datetime, datetime]]
    """Time ranges no counter slot covers."""

    @property
    def covered(self) -> list[tuple[datetime, datetime]]:
        """The time ranges the counter slots cover."""
        return [(_at(span * first), _at(span * last)) for span, first, last in self.slots]


def _plan(window: Window, filters: Filters, spans: Sequence[int], counters: bool) -> _Plan:
    """The counter slots inside the window, largest spans first, and what is left at the edges
    (everything, when the filters need raw rows or the counters are not used)."""
    since, until = int(window.since.timestamp()), int(window.until.timestamp())
    if filters.needs_raw_rows or not counters:
        return _Plan([], [(window.since, window.until)])
    slots: list[tuple[int, int, int]] = []
    raw: list[tuple[datetime, datetime]] = []

    def split(low: int, high: int, exact_low: datetime, exact_high: datetime, depth: int) -> None:
        if exact_low >= exact_high:
            return
        if depth == len(spans):
            raw.append((exact_low, exact_high))
            return
        span = spans[depth]
        first, last = -(-low // span), high // span
        if first >= last:
            split(low, high, exact_low, exact_high, depth + 1)
            return
        slots.append((span, first, last))
        split(low, first * span, exact_low, _at(first * span), depth + 1)
        split(last * span, high, _at(last * span), exact_high, depth + 1)

    split(since, until, window.since, window.until, 0)
    return _Plan(slots, raw)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _started(since: datetime, until: datetime) -> list[Any]:
    return [_S.started_at >= since, _S.started_at < until]


def _counter_filters(columns: Any, plan: _Plan, filters: Filters) -> list[Any]:
    """The counter rows of the plan's slots (each range a branch the index can answer)."""
    flow = [columns.flow == filters.flow] if filters.flow is not None else []
    where = [
        or_(
            *(
                and_(*flow, columns.span == span, columns.slot >= first, columns.slot < last)
                for span, first, last in plan.slots
            )
        )
    ]
    if filters.version is not None:
        where.append(columns.version == filters.version)
    return where


def _people(filters: Filters) -> list[Any]:
    """Conditions on sessions for the filters the counters do not know."""
    where: list[Any] = []
    if filters.customer is not None:
        digits = filters.customer.strip().removeprefix("+")
        where.append(_S.customer.in_([digits, f"+{digits}"]))
    if filters.campaign is not None:
        campaigns = schema.campaigns.c
        contacts = schema.campaign_contacts.c
        attempts = schema.campaign_attempts.c
        placed = (
            select(attempts.client_request_id, attempts.session_id)
            .join(schema.campaign_contacts, contacts.id == attempts.contact_id)
            .join(schema.campaigns, campaigns.id == contacts.campaign_id)
            .where(campaigns.name == filters.campaign)
        )
        sub = placed.subquery()
        where.append(
            or_(
                _S.client_request_id.in_(select(sub.c.client_request_id)),
                _S.session_id.in_(select(sub.c.session_id).where(sub.c.session_id.is_not(None))),
            )
        )
    return where


def _with_flow(filters: Filters, flow: str) -> Filters:
    if filters.flow == flow:
        return filters
    return Filters(
        flow=flow, version=filters.version, campaign=filters.campaign, customer=filters.customer
    )


# -- from counters to records --------------------------------------------------------------------


def _overview(window: Window, filters: Filters, starts: Counter[tuple[int, str, str]]) -> Overview:
    """The overview from counts by (start second of a slot or a session, category, outcome)."""
    totals: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    step = 3600 if window.hourly else 86_400
    series: dict[int, Counter[str]] = {}
    first = int(window.since.timestamp()) // step
    last = (int(window.until.timestamp()) - 1) // step
    for index in range(first, max(first, last) + 1):
        series[index] = Counter()
    for (second, category, outcome), count in starts.items():
        if not count:
            continue
        totals[category] += count
        if outcome:
            outcomes[outcome] += count
        series.setdefault(second // step, Counter())[category] += count
    buckets = [
        Bucket(
            start=_at(index * step),
            sessions=sum(counts.values()),
            contained=counts["contained"],
            transferred=counts["transferred"],
            abandoned=counts["abandoned"],
            failed=counts["failed"],
            in_progress=counts[IN_PROGRESS_CATEGORY],
        )
        for index, counts in sorted(series.items())
    ]
    return Overview(
        window=window,
        filters=filters,
        sessions=sum(totals.values()),
        contained=totals[CATEGORIES[0]],
        transferred=totals[CATEGORIES[1]],
        abandoned=totals[CATEGORIES[2]],
        failed=totals[CATEGORIES[3]],
        in_progress=totals[IN_PROGRESS_CATEGORY],
        outcomes=dict(sorted(outcomes.items())),
        series=buckets,
    )


def _node_stats(counts: Counter[NodeKey]) -> dict[str, NodeStats]:
    by_node: dict[str, dict[str, Counter[str]]] = {}
    for (node, metric, value), count in counts.items():
        if count:
            by_node.setdefault(node, {}).setdefault(metric, Counter())[value] += count
    stats: dict[str, NodeStats] = {}
    for node, metrics in sorted(by_node.items()):

        def total(metric: str, of: dict[str, Counter[str]] = metrics) -> int:
            return sum(of.get(metric, Counter()).values())

        times = {int(bucket): n for bucket, n in metrics.get("time", Counter()).items()}
        stats[node] = NodeStats(
            node=node,
            reached=total("reached"),
            visits=total("visit"),
            keys=dict(sorted(metrics.get("key", Counter()).items())),
            invalid=total("invalid"),
            no_input=total("no-input"),
            retries=total("retry"),
            retries_exhausted=total("retries-exhausted"),
            dropped=total("dropped"),
            next=dict(sorted(metrics.get("next", Counter()).items())),
            median_seconds=median_seconds(times),
            routes=dict(sorted(metrics.get("route", Counter()).items())),
        )
    return stats


def _top_paths(counts: Counter[tuple[str, str, int]], limit: int) -> list[PathCount]:
    grouped: dict[tuple[str, str], Counter[int]] = {}
    for (path, outcome, bucket), count in counts.items():
        if count:
            grouped.setdefault((path, outcome), Counter())[bucket] += count
    ranked = sorted(grouped.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [
        PathCount(
            nodes=tuple(path.split()),
            sessions=sum(buckets.values()),
            outcome=outcome or None,
            median_seconds_to_outcome=median_seconds(buckets),
        )
        for (path, outcome), buckets in ranked[: max(limit, 0)]
    ]
