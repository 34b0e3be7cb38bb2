"""Answering analytics questions: whole hours from the counters, the rest from raw rows.

A window ``[since, until)`` splits into the whole UTC hours inside it, read from the counters
(ended sessions, folded when their summary was stored), and what the counters cannot answer,
counted from the sessions and their steps with :func:`ivrkit.store.paths.contribution`, the same
computation that fills the counters: the partial hours at both edges, the sessions still in
progress, and every session when the filters name a campaign or a customer.

A session whose summary never comes stays in progress in the store; once nothing was heard of it
for ``stale_after`` (default one hour) it is counted as ended, as the platform would most likely
have reported it (abandoned, or its outcome label when it reached one), and no longer in
``in_progress``. Should its summary arrive after all, the summary decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, distinct, func, or_, select

from ivrkit.analytics.model import (
    Bucket,
    Filters,
    Funnel,
    NodeStats,
    Overview,
    PathCount,
    Report,
    Window,
)
from ivrkit.outcomes import CATEGORIES, IN_PROGRESS_CATEGORY
from ivrkit.store import IN_PROGRESS, Store, paths, schema
from ivrkit.store.paths import Contribution, SessionFacts

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
    ) -> None:
        self.store = store
        self.clock = clock
        self.stale_after = stale_after

    # -- the questions ---------------------------------------------------------------------------

    def overview(self, window: Window, filters: Filters = NO_FILTERS) -> Overview:
        """Sessions started in the window, by category and outcome, with a series over time."""
        hours: Counter[tuple[int, str, str]] = Counter()
        with self.store.transaction() as conn:
            whole = self._whole_hours(window, filters)
            if whole is not None:
                query = (
                    select(_PS.hour, _PS.category, _PS.outcome, func.sum(_PS.sessions))
                    .where(*self._counter_filters(_PS, whole, filters))
                    .group_by(_PS.hour, _PS.category, _PS.outcome)
                )
                for hour, category, outcome, count in conn.execute(query):
                    hours[(hour, category, outcome)] += int(count)
            for item in self._raw(conn, window, filters):
                hours[(item.hour, item.category, item.outcome)] += 1
        return _overview(window, filters, hours)

    def funnel(self, flow: str, window: Window, filters: Filters = NO_FILTERS) -> Funnel:
        """Per node of ``flow``: reached, keys, invalid entries, silences, retries, drop-off,
        where callers went next and the median time spent."""
        filters = _with_flow(filters, flow)
        counts: Counter[paths.NodeKey] = Counter()
        with self.store.transaction() as conn:
            whole = self._whole_hours(window, filters)
            if whole is not None:
                query = (
                    select(_PN.node, _PN.metric, _PN.value, func.sum(_PN.count))
                    .where(*self._counter_filters(_PN, whole, filters))
                    .group_by(_PN.node, _PN.metric, _PN.value)
                )
                for node, metric, value, count in conn.execute(query):
                    counts[(node, metric, value)] += int(count)
            for item in self._raw(conn, window, filters):
                counts.update(item.nodes)
        return Funnel(flow=flow, window=window, filters=filters, nodes=_node_stats(counts))

    def paths(
        self, flow: str, window: Window, filters: Filters = NO_FILTERS, limit: int = 10
    ) -> list[PathCount]:
        """The ``limit`` most frequent paths of ended sessions through ``flow``, with their
        outcome and median time to it."""
        filters = _with_flow(filters, flow)
        counts: Counter[tuple[str, str, int]] = Counter()
        with self.store.transaction() as conn:
            whole = self._whole_hours(window, filters)
            if whole is not None:
                query = (
                    select(_PP.path, _PP.outcome, _PP.bucket, func.sum(_PP.sessions))
                    .where(*self._counter_filters(_PP, whole, filters))
                    .group_by(_PP.path, _PP.outcome, _PP.bucket)
                )
                for path, outcome, bucket, count in conn.execute(query):
                    counts[(path, outcome, bucket)] += int(count)
            for item in self._raw(conn, window, filters):
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
        with self.store.transaction() as conn:
            return int(conn.execute(query).scalar_one())

    def flows(self) -> list[str]:
        """The trees that have sessions (ended ones in the counters, or in progress)."""
        with self.store.transaction() as conn:
            ended = conn.execute(select(distinct(_PS.flow))).scalars().all()
            open_ = conn.execute(
                select(distinct(_S.flow)).where(_S.status == IN_PROGRESS, _S.flow.is_not(None))
            ).scalars()
            return sorted({flow for flow in [*ended, *open_] if flow})

    # -- counters and raw rows -------------------------------------------------------------------

    @staticmethod
    def _whole_hours(window: Window, filters: Filters) -> tuple[int, int] | None:
        """The whole hours [first, last) inside the window, when the counters can answer."""
        if filters.needs_raw_rows:
            return None
        first = -(-int(window.since.timestamp()) // 3600)
        last = int(window.until.timestamp()) // 3600
        return (first, last) if first < last else None

    @staticmethod
    def _counter_filters(columns: Any, hours: tuple[int, int], filters: Filters) -> list[Any]:
        where = [columns.hour >= hours[0], columns.hour < hours[1]]
        if filters.flow is not None:
            where.append(columns.flow == filters.flow)
        if filters.version is not None:
            where.append(columns.version == filters.version)
        return where

    def _raw(self, conn: Connection, window: Window, filters: Filters) -> Iterable[Contribution]:
        """The contributions the counters cannot give, for sessions started in the window."""
        in_window = [_S.started_at >= window.since, _S.started_at < window.until]
        if filters.flow is not None:
            in_window.append(_S.flow == filters.flow)
        whole = self._whole_hours(window, filters)
        wanted: list[Any]
        if filters.needs_raw_rows:
            wanted = [and_(*in_window, *_people(filters))]
        elif whole is None:
            wanted = [and_(*in_window)]
        else:
            first, last = (datetime.fromtimestamp(hour * 3600, UTC) for hour in whole)
            wanted = [
                # Ended or not, in the partial hours at the edges ...
                and_(*in_window, _S.started_at < first),
                and_(*in_window, _S.started_at >= last),
                # ... and in the whole hours, only those the counters do not hold yet.
                and_(
                    *in_window,
                    _S.status == IN_PROGRESS,
                    _S.started_at >= first,
                    _S.started_at < last,
                ),
            ]
        facts: list[SessionFacts] = []
        for where in wanted:
            rows = conn.execute(select(*paths.session_columns()).where(where)).mappings()
            facts.extend(SessionFacts.from_row(row) for row in rows)
        stale_before = self.clock() - self.stale_after
        for session, steps in paths.with_steps(conn, facts):
            stale = session.status == IN_PROGRESS and session.updated_at < stale_before
            item = paths.contribution(session, steps, stale=stale)
            if item is None or item.started_at not in window:
                continue
            if filters.flow is not None and item.flow != filters.flow:
                continue
            if filters.version is not None and item.version != filters.version:
                continue
            yield item


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


def _overview(window: Window, filters: Filters, hours: Counter[tuple[int, str, str]]) -> Overview:
    totals: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    step = 1 if window.hourly else 24
    series: dict[int, Counter[str]] = {}
    first = int(window.since.timestamp()) // 3600 // step
    last = (int(window.until.timestamp()) - 1) // 3600 // step
    for index in range(first, max(first, last) + 1):
        series[index] = Counter()
    for (hour, category, outcome), count in hours.items():
        if not count:
            continue
        totals[category] += count
        if outcome:
            outcomes[outcome] += count
        series.setdefault(hour // step, Counter())[category] += count
    buckets = [
        Bucket(
            start=datetime.fromtimestamp(index * step * 3600, UTC),
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


def _node_stats(counts: Counter[paths.NodeKey]) -> dict[str, NodeStats]:
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
            median_seconds=paths.median_seconds(times),
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
            median_seconds_to_outcome=paths.median_seconds(buckets),
        )
        for (path, outcome), buckets in ranked[: max(limit, 0)]
    ]
