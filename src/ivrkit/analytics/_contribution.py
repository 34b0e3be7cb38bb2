"""What one session adds to the counters: the one computation behind path analytics, whether a
session is folded into the counters when its summary is projected, the counters are rebuilt, or
a query counts raw rows (sessions in progress, partial slots, filters the counters do not know).

:func:`contribution` puts together one function per family of counters: the session's outcome
and category (:func:`outcome_of`), its visits and per-node metrics (:func:`walk`,
:func:`count_visits`, :func:`count_ending`), and its path with the time it took
(:func:`path_of`, :func:`path_bucket`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ivrkit import _outcomes as outcomes
from ivrkit.analytics._buckets import UNKNOWN_BUCKET, bucket
from ivrkit.analytics._declared import Declared
from ivrkit.store._records import CALL_PLACED, IN_PROGRESS

END = "(end)"
"""The transition counted when a call ends at a node."""

STALE_STATUS = "COMPLETED"
"""The status a session without a summary is counted with once it is stale: the caller most
likely hung up, the summary was lost (its label, if it reached one, still decides)."""

NodeKey = tuple[str, str, str]
"""(node, metric, value)."""

Visit = tuple[str, datetime | None]
"""A node the caller was at, and since when (None: not known)."""


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
        """A step from a row of ``ivrkit_path_steps`` read by column name."""
        return cls.from_values([row[name] for name in STEP_COLUMNS])

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> Step:
        """A step from the values of :data:`STEP_COLUMNS`, in that order."""
        (session_id, at, flow, version, heard, replay, digits, route, route_value, led_to) = values[
            :10
        ]
        passed, more_routes, label, label_transfer = values[10:]
        more: list[list[Any]] = json.loads(more_routes) if more_routes else []
        return cls(
            session_id=session_id,
            at=at,
            flow=flow,
            version=version,
            heard=heard,
            replay=replay,
            digits=digits,
            route=route,
            route_value=route_value,
            led_to=led_to,
            passed=tuple(passed.split()),
            more=tuple((str(r[0]), str(r[1]), r[2], r[3]) for r in more),
            label=label,
            label_transfer=bool(label_transfer),
        )


STEP_COLUMNS = (
    "session_id",
    "at",
    "flow",
    "version",
    "heard",
    "replay",
    "digits",
    "route",
    "route_value",
    "led_to",
    "passed",
    "more_routes",
    "label",
    "label_transfer",
)
"""The ``ivrkit_path_steps`` columns :meth:`Step.from_values` reads."""


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
    session: SessionFacts,
    steps: Sequence[Step],
    *,
    stale: bool = False,
    declared: Declared | None = None,
    walked: bool = True,
) -> Contribution | None:
    """What a session adds to the counters, from its row and its steps in arrival order; None
    for a session with no known start (it belongs to no time window). ``stale``: a session
    without a summary is counted as ended (:data:`STALE_STATUS`). ``declared``: what the tree
    versions that answered it say their labels count as. ``walked=False``: only its start,
    outcome and category (what the overview counts), not its nodes and path."""
    steps = placed_first(steps)
    start = session.started_at or (steps[0].at if steps else None)
    if start is None:
        return None
    outcome, category = outcome_of(session, steps, stale=stale, declared=declared)
    if outcome in outcomes.NOT_REACHED:  # busy, not answered, ...: nobody heard the entry
        steps = [step for step in steps if step.route != CALL_PLACED]
    result = Contribution(
        flow=session.flow or (steps[0].flow if steps else ""),
        version=steps[0].version if steps else "",
        started_at=start,
        category=category,
        outcome=outcome or "",
    )
    if not walked:
        return result
    nodes, visits = walk(steps, start)
    count_visits(nodes, visits)
    result.nodes = nodes
    if outcome is None:
        return result
    count_ending(nodes, visits, category=category, ended_at=session.ended_at)
    result.path = path_of(visits)
    result.path_bucket = path_bucket(session, steps, start)
    return result


def placed_first(steps: Sequence[Step]) -> list[Step]:
    """The steps in arrival order, but the step that placed an outbound call first: the call's
    first event may be stored before it (the platform may call back before Send Callflow has
    returned)."""
    return sorted(steps, key=lambda step: step.route != CALL_PLACED)


# -- outcome and category ------------------------------------------------------------------------


def outcome_of(
    session: SessionFacts,
    steps: Sequence[Step],
    *,
    stale: bool = False,
    declared: Declared | None = None,
) -> tuple[str | None, str]:
    """The session's outcome (None while in progress, even past a labelled node: the caller may
    go on) and its category: what the tree version whose answer reached the label declares it
    counts as, else the label's built-in category (:func:`ivrkit._outcomes.category`)."""
    status = session.status
    if status == IN_PROGRESS and stale:
        status = STALE_STATUS
    outcome = None
    if status != IN_PROGRESS:
        digits = [step.digits for step in steps if step.digits]
        outcome = outcomes.derive(status, session.label, digits=digits, in_progress=IN_PROGRESS)
    step = labelled_step(session, steps)
    counted = None
    if step is not None and session.label is not None and declared:
        counted = declared.get((step.flow, step.version), {}).get(session.label)
    return outcome, outcomes.category(
        outcome, on_transfer=step is not None and step.label_transfer, declared=counted
    )


def labelled_step(session: SessionFacts, steps: Sequence[Step]) -> Step | None:
    """The last step that reached the session's label (None: none did)."""
    found = None
    if session.label is not None:
        for step in steps:
            if step.label == session.label:
                found = step
    return found


def on_transfer(session: SessionFacts, steps: Sequence[Step]) -> bool:
    """Whether the session's label was reached on a transfer (the last step that reached it
    says)."""
    step = labelled_step(session, steps)
    return step is not None and step.label_transfer


# -- per-node metrics ----------------------------------------------------------------------------


def walk(steps: Sequence[Step], start: datetime) -> tuple[Counter[NodeKey], list[Visit]]:
    """The nodes visited in order, and what each step counts on the way: the time spent at a
    node before the next event, and every route taken."""
    nodes: Counter[NodeKey] = Counter()
    visits: list[Visit] = []
    for index, step in enumerate(steps):
        if step.heard is not None and (not visits or visits[-1][0] != step.heard):
            # The caller heard it before this first event: since the call started.
            visits.append((step.heard, start if index == 0 else None))
        node, since = visits[-1] if visits else ("", None)
        if since is not None:
            nodes[(node, "time", str(bucket((step.at - since).total_seconds())))] += 1
        if step.heard is not None and step.route is not None:
            count_route(nodes, step.heard, step.route, step.route_value, step.led_to)
        for more_node, kind, value, to in step.more:
            count_route(nodes, more_node, kind, value, to)
        visits.extend((passed, step.at) for passed in step.passed)
    return nodes, visits


def count_route(
    nodes: Counter[NodeKey], node: str, kind: str, value: str | None, to: str | None
) -> None:
    """A route taken at a node: its kind, the key pressed, a retry, the node it led to."""
    nodes[(node, "route", kind)] += 1
    if kind == "key":
        nodes[(node, "key", value or "")] += 1
    elif kind in ("invalid", "no-input", "retries-exhausted"):
        nodes[(node, kind, "")] += 1
        if kind != "retries-exhausted" and to == node:
            nodes[(node, "retry", "")] += 1
    if to is not None:
        nodes[(node, "next", to)] += 1


def count_visits(nodes: Counter[NodeKey], visits: Sequence[Visit]) -> None:
    """Every visit of a node, and each node reached once."""
    for node, _ in visits:
        nodes[(node, "visit", "")] += 1
    for node in {node for node, _ in visits}:
        nodes[(node, "reached", "")] += 1


def count_ending(
    nodes: Counter[NodeKey], visits: Sequence[Visit], *, category: str, ended_at: datetime | None
) -> None:
    """Where an ended session ended: the last node's end, a drop there, the time spent there."""
    if not visits:
        return
    last, arrived = visits[-1]
    nodes[(last, "next", END)] += 1
    if category == outcomes.ABANDONED:
        nodes[(last, "dropped", "")] += 1
    if arrived is not None and ended_at is not None:
        nodes[(last, "time", str(bucket((ended_at - arrived).total_seconds())))] += 1


# -- the path and its time -----------------------------------------------------------------------


def path_of(visits: Sequence[Visit]) -> str:
    """The nodes visited, space-separated, replays of a node collapsed."""
    collapsed = [node for i, (node, _) in enumerate(visits) if i == 0 or visits[i - 1][0] != node]
    return " ".join(collapsed)


def path_bucket(session: SessionFacts, steps: Sequence[Step], start: datetime) -> int:
    """The bucket of the time from the start to the outcome: the first step that reached the
    session's label, else the end of the call."""
    reached_at = session.ended_at
    if session.label is not None:
        reached_at = next((step.at for step in steps if step.label == session.label), reached_at)
    if reached_at is None:
        return UNKNOWN_BUCKET
    return bucket((reached_at - start).total_seconds())
