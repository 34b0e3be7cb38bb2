"""Browsing the store (ivrkit.dashboard._browse) agrees with the store's own records: every filter,
the outcome derived in SQL as ivrkit._outcomes derives it, paging, and changes since a mark; on
SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing
from datetime import UTC, datetime, timedelta

import pytest
from bench.synthetic import fill

from ivrkit.dashboard._browse import Browser, SessionQuery, digits_of
from ivrkit.store import IN_PROGRESS, SessionRecord, Store, open_store
from tests.postgres import fresh_schema
from tests.store.conftest import backend, store, store_url  # noqa: F401

SINCE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(hours=6)
SESSIONS = 300


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def filled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Browser, list[SessionRecord]]]:
    """A store of synthetic sessions on each database, made once for the tests that only read
    it (writing them costs a quarter of a second of CPU)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('browse') / 'ivrkit.db'}"
        else:
            url, _schema = stack.enter_context(fresh_schema())
        store = stack.enter_context(closing(open_store(url)))
        fill(store, SESSIONS, since=SINCE, until=UNTIL, seed=3, in_progress=0.1, customers=40)
        records = store.sessions(limit=SESSIONS * 2)
        assert len(records) == SESSIONS
        yield Browser(store), records


def ids(browser: Browser, **query: object) -> set[str]:
    found = browser.all_sessions(SessionQuery(**query))  # type: ignore[arg-type]
    return {record.session_id for record in found}


def test_every_outcome_filter_agrees_with_the_derived_outcome(
    filled: tuple[Browser, list[SessionRecord]],
) -> None:
    browser, records = filled
    by_outcome = Counter(record.outcome for record in records)
    assert len([o for o in by_outcome if o]) >= 3  # labels and derived outcomes both
    for outcome in [o for o in by_outcome if o] + ["busy", "error", "nothing-like-this"]:
        expected = {r.session_id for r in records if r.outcome == outcome}
        assert ids(browser, outcome=outcome) == expected, outcome


def test_status_time_number_and_search_filters(
    filled: tuple[Browser, list[SessionRecord]],
) -> None:
    browser, records = filled
    open_ = {r.session_id for r in records if r.status == IN_PROGRESS}
    assert open_ and ids(browser, status=IN_PROGRESS) == open_
    middle = SINCE + timedelta(hours=3)
    early = {r.session_id for r in records if r.started_at and r.started_at < middle}
    assert ids(browser, until=middle) == early
    assert ids(browser, since=middle) == {r.session_id for r in records} - early
    customer = records[0].customer
    assert customer
    same = {r.session_id for r in records if r.customer == customer}
    assert ids(browser, number=f"+{digits_of(customer)}") == same
    assert ids(browser, number=customer) == same
    assert ids(browser, search=customer[-6:]) >= same
    one = records[5].session_id
    assert ids(browser, search=one) == {one}
    assert ids(browser, search="%") == set()  # LIKE's wildcards are taken literally
    assert ids(browser, flow="simple_ivr") == {r.session_id for r in records}
    assert ids(browser, flow="other") == set()


def test_pages_cover_every_session_once_newest_first(
    filled: tuple[Browser, list[SessionRecord]],
) -> None:
    browser, records = filled
    seen: list[SessionRecord] = []
    page_number = 1
    while True:
        page = browser.sessions(SessionQuery(page=page_number, per_page=70))
        assert page.total == SESSIONS and page.pages == 5
        seen += page.sessions
        if not page.has_next:
            break
        page_number += 1
    assert [r.session_id for r in seen] == [r.session_id for r in records]


def test_changes_since_a_mark(store: Store) -> None:  # noqa: F811
    browser = Browser(store)
    mark = browser.mark()
    assert browser.changes(mark).started == []
    fill(store, 20, since=SINCE, until=UNTIL, seed=4, in_progress=0.5)
    changes = browser.changes(mark)
    assert len(changes.started) == 20
    ended = {r.session_id for r in changes.ended}
    assert ended == {r.session_id for r in changes.started if r.status != IN_PROGRESS}
    assert browser.changes(changes.mark).started == []
    assert changes.mark == browser.mark()


def test_queries_are_checked() -> None:
    with pytest.raises(ValueError, match="page"):
        SessionQuery(page=0)
    with pytest.raises(ValueError, match="per_page"):
        SessionQuery(per_page=10_000)
