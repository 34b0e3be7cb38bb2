"""The sessions CSV is streamed a page of the store's listing at a time: every matching session
once, whatever the range (``since=0001-01-01``), with the memory of one page, not of the export."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import pytest
from sqlalchemy import insert

from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.dashboard._browse import Browser, SessionQuery
from ivrkit.store import Store, open_store
from ivrkit.store import _schema as schema
from tests.postgres import fresh_schema

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW = T0 + timedelta(days=2)
SESSIONS = 4000


def sessions(first: int, count: int, *, at: datetime = T0) -> list[dict[str, object]]:
    """``count`` sessions; seven share each start (ties cross page boundaries), and every 50th
    has not started."""
    made: list[dict[str, object]] = []
    for index in range(first, first + count):
        started = None if index % 50 == 49 else at + timedelta(seconds=index // 7)
        made.append(
            {
                "session_id": f"s{index:05d}",
                "status": "COMPLETED",
                "customer": f"+65{90000000 + index}",
                "flow": "simple_ivr",
                "started_at": started,
                "updated_at": started or at,
            }
        )
    return made


def add(store: Store, rows: list[dict[str, object]]) -> None:
    with store.transaction() as conn:
        conn.execute(insert(schema.sessions), rows)
        digits = [
            {"session_id": row["session_id"], "digits": "1", "at": row["updated_at"]}
            for row in rows
        ]
        conn.execute(insert(schema.session_digits), digits)


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('csv') / 'ivrkit.db'}")
    add(store, sessions(0, SESSIONS))
    try:
        yield store
    finally:
        store.close()


def call_export(store: Store, query: str, body: Callable[[bytes], None]) -> None:
    """``GET /dashboard/sessions.csv?<query>``, the app called as a server calls it; each body
    message handed to ``body`` as it is sent."""
    app = standalone_app(store, DashboardSettings(clock=lambda: NOW))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/dashboard/sessions.csv",
        "raw_path": b"/dashboard/sessions.csv",
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }
    status: list[int] = []
    requested = [False]

    async def receive() -> dict[str, Any]:
        if not requested[0]:
            requested[0] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body" and message.get("body"):
            body(message["body"])

    anyio.run(app, scope, receive, send)
    assert status == [200]


def export(store: Store, query: str) -> tuple[bytes, int]:
    """The body of the export and how many messages carried it."""
    chunks: list[bytes] = []
    call_export(store, query, chunks.append)
    return b"".join(chunks), len(chunks)


def peak_of_export(store: Store, query: str) -> int:
    """The most memory the export took at once, its body not kept."""
    sent = [0]

    def count(chunk: bytes) -> None:
        sent[0] += len(chunk)

    tracemalloc.start()
    try:
        call_export(store, query, count)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent[0] > 0
    return peak


def rows_of(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_every_session_of_an_unbounded_range_is_exported_once(many: Store) -> None:
    body, messages = export(many, "since=0001-01-01")
    ids = [row["session_id"] for row in rows_of(body)]
    started = {f"s{index:05d}" for index in range(SESSIONS) if index % 50 != 49}
    assert len(ids) == len(set(ids)) == len(started)
    assert set(ids) == started
    assert messages > SESSIONS // 500  # streamed in pages, not built whole


def test_without_a_range_sessions_not_started_are_exported_too(many: Store) -> None:
    body, _ = export(many, "")
    ids = [row["session_id"] for row in rows_of(body)]
    assert sorted(ids) == [f"s{index:05d}" for index in range(SESSIONS)]
    assert all(row["customer"].startswith("•") for row in rows_of(body)[:5])  # still masked


def test_the_export_keeps_the_memory_of_one_page(many: Store) -> None:
    """Four times the sessions, about the same memory: a page of the listing at a time."""
    peak_of_export(many, "since=0001-01-01")  # caches warmed
    day = T0 + timedelta(seconds=SESSIONS // 7 // 4)
    quarter = peak_of_export(many, urlencode({"until": day.isoformat()}))
    whole = peak_of_export(many, "since=0001-01-01")
    quarter_body, _ = export(many, urlencode({"until": day.isoformat()}))
    assert 800 < len(rows_of(quarter_body)) < 1200  # a quarter indeed
    assert whole < 1.5 * quarter, (whole, quarter)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'ivrkit.db'}")
        try:
            yield store
        finally:
            store.close()
        return
    with fresh_schema() as (url, _schema), open_store(url) as store:
        yield store


def test_sessions_added_while_exporting_neither_shift_nor_repeat(empty_store: Store) -> None:
    store = empty_store
    add(store, sessions(0, 1000))
    pages = Browser(store).session_pages(SessionQuery(), chunk=100)
    seen = [record.session_id for record in next(pages)]
    add(store, sessions(1000, 300, at=T0 + timedelta(days=1)))  # newer ones
    add(store, sessions(1300, 300, at=T0 - timedelta(days=1)))  # older ones
    seen += [record.session_id for page in pages for record in page]
    assert len(seen) == len(set(seen))
    assert sorted(seen) == [f"s{index:05d}" for index in range(1000)]
    assert seen[-20:] == [f"s{index:05d}" for index in range(999, 0, -50)]  # not started: last
