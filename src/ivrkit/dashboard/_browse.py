"""Reading the store the way a person browses it: sessions filtered and paged with a total count,
everything recorded about one session, and what changed since the last look (for live views)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
)

from ivrkit import _outcomes as outcomes
from ivrkit.store import _convert as convert
from ivrkit.store import _schema as schema
from ivrkit.store._records import (
    CALL_PLACED,
    IN_PROGRESS,
    Delivery,
    SessionRecord,
    SummaryRecord,
)
from ivrkit.store._sql import Store, session_digits
from ivrkit.trees._diagram import summary_of
from ivrkit.trees._model import TreeSpec

__all__ = [
    "MAX_PER_PAGE",
    "Browser",
    "Opening",
    "Changes",
    "SessionDetail",
    "SessionPage",
    "SessionQuery",
]

_S = schema.sessions.c
_D = schema.deliveries.c
_DIGITS = schema.session_digits.c
_SUM = schema.summaries.c
_P = schema.path_steps.c
_V = schema.tree_versions.c
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
OPENING_TEXT = 400
"""Most characters shown of a prompt the callback opened with."""

MAX_PER_PAGE = 500
"""Most sessions one page may hold."""
MAX_DELIVERIES = 2000
"""Most deliveries a session's detail reads (a session replaying forever stays readable)."""

# The statuses a derived outcome comes from (ivrkit._outcomes), for filtering in SQL.
_STATUSES_OF: dict[str, tuple[str, ...]] = {
    outcomes.BUSY: ("BUSY",),
    outcomes.NO_ANSWER: ("NO_ANSWER",),
    outcomes.FAILED: ("FAILED", "CANCELED"),
    outcomes.ERROR: ("ERROR",),
}
_NOT_THROUGH = tuple(status for group in _STATUSES_OF.values() for status in group)
_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, kw_only=True)
class SessionQuery:
    """Which sessions to list: every filter left None is not applied."""

    since: datetime | None = None
    """Sessions started at or after this time."""
    until: datetime | None = None
    """Sessions started before this time."""
    status: str | None = None
    """IN_PROGRESS, COMPLETED, BUSY, ... (the session's status)."""
    outcome: str | None = None
    """An outcome label (``resolved``) or a derived outcome (``hung-up``, ``busy``...)."""
    flow: str | None = None
    campaign: str | None = None
    """A campaign's name: sessions placed by its attempts."""
    number: str | None = None
    """The customer's number (the digits are compared, a leading + or spaces do not matter)."""
    search: str | None = None
    """Part of a session id, or part of the customer's number."""
    page: int = 1
    per_page: int = 50

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError(f"page counts from 1, not {self.page}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page takes 1 to {MAX_PER_PAGE}, not {self.per_page}")


@dataclass(frozen=True)
class SessionPage:
    """One page of sessions, newest first, and how many match in all."""

    sessions: list[SessionRecord]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass(frozen=True)
class Opening:
    """What a callback played before its first webhook: the nodes its Send Callflow carried
    (the step the store noted when it was placed), with their words as the tree version that
    placed it has them."""

    at: datetime
    """When the callback was placed."""
    version: str
    prompts: list[tuple[str, str, str]]
    """(node, kind, what it says or does), in the order the customer heard them."""


@dataclass(frozen=True)
class SessionDetail:
    """Everything the store holds about one session."""

    session: SessionRecord
    deliveries: list[Delivery]
    """Its deliveries, oldest first (at most MAX_DELIVERIES: the newest)."""
    summary: SummaryRecord | None
    opening: Opening | None = None
    """For a callback: what it played before the customer's first answer."""


@dataclass(frozen=True)
class Changes:
    """Sessions that started and sessions that ended since a mark, and the mark to ask from next."""

    started: list[SessionRecord]
    ended: list[SessionRecord]
    mark: tuple[int, int]


class Browser:
    """Read-only browsing of a :class:`~ivrkit.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def sessions(self, query: SessionQuery) -> SessionPage:
        """The page ``query.page`` of the sessions matching ``query``, newest first."""
        conditions = _conditions(query)
        listed = (
            select(schema.sessions)
            .where(*conditions)
            .order_by(_S.started_at.desc().nulls_last(), _S.id.desc())
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        )
        counted = select(func.count()).select_from(schema.sessions).where(*conditions)
        with self.store.reading() as conn:
            total = int(conn.execute(counted).scalar_one())
            rows = conn.execute(listed).mappings().all()
            records = _records(conn, rows)
        return SessionPage(records, total, query.page, query.per_page)

    def all_sessions(
        self, query: SessionQuery, *, chunk: int = MAX_PER_PAGE
    ) -> list[SessionRecord]:
        """Every session matching ``query`` (its paging ignored), newest first."""
        return [record for part in self.session_pages(query, chunk=chunk) for record in part]

    def session_pages(
        self, query: SessionQuery, *, chunk: int = MAX_PER_PAGE
    ) -> Iterator[list[SessionRecord]]:
        """Every session matching ``query`` (its paging ignored), newest first, ``chunk`` at a
        time: for exports, whose memory stays that of one chunk however many match.

        Each chunk is read after the last row of the one before (by start, then id), not at an
        offset, and only sessions present when the listing began are listed: a session that
        starts, ends or changes meanwhile neither shifts the pages nor shows twice."""
        if not 1 <= chunk <= MAX_PER_PAGE:
            raise ValueError(f"chunk takes 1 to {MAX_PER_PAGE}, not {chunk}")
        conditions = _conditions(query)
        with self.store.reading() as conn:
            newest = conn.execute(select(func.max(_S.id))).scalar_one()
        if newest is None:
            return
        conditions.append(_S.id <= newest)
        after: ColumnElement[bool] | None = None
        while True:
            listed = (
                select(schema.sessions)
                .where(*conditions, *([] if after is None else [after]))
                .order_by(_S.started_at.desc().nulls_last(), _S.id.desc())
                .limit(chunk)
            )
            with self.store.reading() as conn:
                rows = conn.execute(listed).mappings().all()
                records = _records(conn, rows)
            if records:
                yield records
            if len(rows) < chunk:
                return
            after = _after(rows[-1]["started_at"], rows[-1]["id"])

    def detail(self, session_id: str) -> SessionDetail | None:
        """The session, its deliveries and its summary; None when the store has no such session."""
        session = self.store.session(session_id)
        if session is None:
            return None
        deliveries = self.store.deliveries(session_id, limit=MAX_DELIVERIES)
        return SessionDetail(
            session=session,
            deliveries=deliveries,
            summary=self.store.summary(session_id),
            opening=self._opening(session_id),
        )

    def _opening(self, session_id: str) -> Opening | None:
        with self.store.reading() as conn:
            step = conn.execute(
                select(_P.at, _P.flow, _P.version, _P.passed)
                .where(_P.session_id == session_id, _P.route == CALL_PLACED)
                .order_by(_P.id)
                .limit(1)
            ).first()
            if step is None:
                return None
            spec_text = conn.execute(
                select(_V.spec).where(_V.flow == step.flow, _V.version == step.version)
            ).scalar_one_or_none()
        if spec_text is None:
            return Opening(at=step.at, version=step.version, prompts=[])
        try:
            spec = TreeSpec.model_validate_json(spec_text)
        except ValueError:
            return Opening(at=step.at, version=step.version, prompts=[])
        variables = self.store.variables(session_id)
        prompts = []
        for name in str(step.passed).split():
            node = spec.nodes.get(name)
            if node is None or node.kind in ("branch", "hook", "goto"):
                continue
            text = _PLACEHOLDER.sub(
                lambda found: variables.get(found[1], found[0]),
                summary_of(spec, node, OPENING_TEXT),
            )
            prompts.append((name, node.kind, text))
        return Opening(at=step.at, version=step.version, prompts=prompts)

    def mark(self, *, catch_up: int | None = None) -> tuple[int, int]:
        """Where the store is now: the newest session row and the newest summary row
        (``catch_up``: as :meth:`ivrkit.store.Store.reading`)."""
        with self.store.reading(catch_up=catch_up) as conn:
            session_id = conn.execute(select(func.max(_S.id))).scalar_one_or_none()
            summary_id = conn.execute(select(func.max(_SUM.id))).scalar_one_or_none()
        return int(session_id or 0), int(summary_id or 0)

    def changes(
        self,
        since: tuple[int, int],
        *,
        limit: int = 200,
        until: tuple[int, int] | None = None,
        catch_up: int | None = None,
    ) -> Changes:
        """Sessions first seen and summaries stored after ``since`` (a :meth:`mark`), at most
        ``limit`` of each, oldest first; with ``until`` (another mark) none after it, and the
        mark returned is ``until`` once everything up to it was read. Both read by primary key,
        so a poll costs next to nothing however large the store. ``catch_up``: as
        :meth:`ivrkit.store.Store.reading`."""
        last_session, last_summary = since
        session_cap = [_S.id <= until[0]] if until is not None else []
        summary_cap = [_SUM.id <= until[1]] if until is not None else []
        with self.store.reading(catch_up=catch_up) as conn:
            new_rows = (
                conn.execute(
                    select(schema.sessions)
                    .where(_S.id > last_session, *session_cap)
                    .order_by(_S.id)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
            ended_ids = conn.execute(
                select(_SUM.id, _SUM.session_id)
                .where(_SUM.id > last_summary, *summary_cap)
                .order_by(_SUM.id)
                .limit(limit)
            ).all()
            ended_rows = (
                conn.execute(
                    select(schema.sessions).where(
                        _S.session_id.in_([session_id for _, session_id in ended_ids])
                    )
                )
                .mappings()
                .all()
                if ended_ids
                else []
            )
            started = _records(conn, new_rows)
            ended_by_id = {record.session_id: record for record in _records(conn, ended_rows)}
        ended = [ended_by_id[sid] for _, sid in ended_ids if sid in ended_by_id]
        mark = (
            max([last_session, *(int(row["id"]) for row in new_rows)]),
            max([last_summary, *(int(row_id) for row_id, _ in ended_ids)]),
        )
        if until is not None:
            mark = (
                until[0] if len(new_rows) < limit else mark[0],
                until[1] if len(ended_ids) < limit else mark[1],
            )
        return Changes(started, ended, mark)


def digits_of(number: str) -> str:
    """The digits of a phone number as typed (``+65 1234-5678`` -> ``6512345678``)."""
    return _NOT_DIGIT.sub("", number)


def _records(conn: Connection, rows: Sequence[RowMapping]) -> list[SessionRecord]:
    digits = session_digits(conn, [row["session_id"] for row in rows])
    return [convert.session_from_row(row, digits.get(row["session_id"], [])) for row in rows]


def _after(started_at: datetime | None, row_id: int) -> ColumnElement[bool]:
    """The sessions listed after the one (``started_at``, ``row_id``) in the order newest first,
    sessions not started last, then by id downwards."""
    if started_at is None:
        return and_(_S.started_at.is_(None), _S.id < row_id)
    return or_(
        _S.started_at < started_at,
        and_(_S.started_at == started_at, _S.id < row_id),
        _S.started_at.is_(None),
    )


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(query: SessionQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.since is not None:
        conditions.append(_S.started_at >= query.since)
    if query.until is not None:
        conditions.append(_S.started_at < query.until)
    if query.status:
        conditions.append(_S.status == query.status)
    if query.flow:
        conditions.append(_S.flow == query.flow)
    if query.outcome:
        conditions.append(_outcome_is(query.outcome))
    if query.campaign:
        conditions.append(_S.session_id.in_(_campaign_sessions(query.campaign)))
    if query.number:
        digits = digits_of(query.number)
        conditions.append(_S.customer.in_([digits, f"+{digits}"]) if digits else _S.id < 0)
    if query.search:
        text = query.search.strip()
        digits = digits_of(text)
        found = [_S.session_id.like(_like(text), escape="\\")]
        if digits:
            found.append(_S.customer.like(_like(digits), escape="\\"))
        conditions.append(or_(*found))
    return conditions


def _outcome_is(outcome: str) -> ColumnElement[bool]:
    """The SQL of :func:`ivrkit._outcomes.derive` == ``outcome`` (tests/test_outcomes.py checks
    the two agree): an ended session whose label is ``outcome``, or, unlabelled, whose status and
    digits derive it. (The column ``outcome`` holds the label.)"""
    ended = _S.status != IN_PROGRESS
    labelled = and_(ended, _S.outcome == outcome)
    unlabelled = and_(ended, or_(_S.outcome.is_(None), _S.outcome == ""))
    statuses = _STATUSES_OF.get(outcome)
    if statuses is not None:
        return or_(labelled, and_(unlabelled, _S.status.in_(statuses)))
    if outcome in (outcomes.HUNG_UP, outcomes.NO_INPUT):
        pressed = exists().where(_DIGITS.session_id == _S.session_id, _DIGITS.digits != "")
        derived = and_(
            unlabelled,
            _S.status.not_in(_NOT_THROUGH),
            pressed if outcome == outcomes.HUNG_UP else not_(pressed),
        )
        return or_(labelled, derived)
    return labelled


def _campaign_sessions(name: str) -> Select[tuple[str | None]]:
    a, k, c = (
        schema.campaign_attempts.c,
        schema.campaign_contacts.c,
        schema.campaigns.c,
    )
    return (
        select(a.session_id)
        .join(schema.campaign_contacts, k.id == a.contact_id)
        .join(schema.campaigns, c.id == k.campaign_id)
        .where(c.name == name, a.session_id.is_not(None))
    )
