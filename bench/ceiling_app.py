"""The durable ceiling of the webhook benchmark: the least work that keeps ivrkit's promise.

A raw ASGI app (uvicorn + uvloop + httptools) that checks the Authorization header, reads the
body, ``json.loads`` it, picks the vendor's answer for the key pressed, and hands the delivery to a
group-commit thread; the answer leaves only after the batch holding the delivery is committed.
The thread takes every delivery waiting, writes them with one ``executemany`` into one table (a
unique eventId, so a repeated delivery is stored once), commits, and wakes the event loop once
for the whole batch.

``BENCH_CEILING_DB`` names the store: a SQLite file path (WAL, ``synchronous=NORMAL``: the
settings ivrkit uses) or a ``postgresql://`` URL, with ``BENCH_CEILING_SCHEMA`` the schema to
write in. ``BENCH_AUTH`` is the expected Authorization header.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "fixtures"


def _answer(name: str) -> bytes:
    return json.dumps(json.loads((FIXTURES / name).read_text()), separators=(",", ":")).encode()


ANSWERS = {
    "1": _answer("vca_response_simple_ivr_dtmf1_hangup.json"),
    "2": _answer("vca_response_simple_ivr_dtmf2_connect_call.json"),
}
MENU = _answer("vca_response_simple_ivr_dtmf_other_repeat_menu.json")
EMPTY = b"{}"
JSON = (b"content-type", b"application/json")
HEALTH = b'{"status":"ok"}'
UNAUTHORIZED = b'{"error":"unauthorized"}'

CREATE = (
    "CREATE TABLE IF NOT EXISTS {table} (id {id}, event_id TEXT UNIQUE, session_id TEXT, "
    "channel TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, body TEXT NOT NULL)"
)
Row = tuple[str | None, str | None, str, float, str]


def sqlite_writer(path: str) -> tuple[Callable[[list[Row]], None], Callable[[], None]]:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(CREATE.format(table="deliveries", id="INTEGER PRIMARY KEY"))
    sql = (
        "INSERT OR IGNORE INTO deliveries (event_id, session_id, channel, received_at, body) "
        "VALUES (?, ?, ?, ?, ?)"
    )

    def write(rows: list[Row]) -> None:
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")

    return write, conn.close


def postgres_writer(
    url: str, schema: str
) -> tuple[Callable[[list[Row]], None], Callable[[], None]]:
    import psycopg

    conn = psycopg.connect(url)
    table = f'"{schema}".deliveries'
    conn.execute(CREATE.format(table=table, id="BIGSERIAL PRIMARY KEY"))
    conn.commit()
    sql = (
        f"INSERT INTO {table} (event_id, session_id, channel, received_at, body) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING"
    )

    def write(rows: list[Row]) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(sql, rows)
        conn.commit()

    return write, conn.close


class GroupCommit:
    """Deliveries from the event loop, committed in batches by one thread."""

    def __init__(self, write: Callable[[list[Row]], None], close: Callable[[], None]) -> None:
        self._write = write
        self._close = close
        self._pending: list[tuple[Row, asyncio.Future[None]]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._running = True
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def submit(self, row: Row) -> asyncio.Future[None]:
        future: asyncio.Future[None] = self._loop.create_future()
        with self._lock:
            self._pending.append((row, future))
            self._wake.set()
        return future

    def _run(self) -> None:
        while self._running or self._pending:
            self._wake.wait(0.5)
            with self._lock:
                batch, self._pending = self._pending, []
                self._wake.clear()
            if not batch:
                continue
            try:
                self._write([row for row, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every waiting request hears of it
                self._loop.call_soon_threadsafe(_fail, [f for _, f in batch], exc)
            else:
                self._loop.call_soon_threadsafe(_finish, [f for _, f in batch])
        self._close()

    def stop(self) -> None:
        self._running = False
        self._wake.set()
        self._thread.join(10)


def _finish(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


def _fail(futures: list[asyncio.Future[None]], exc: BaseException) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(exc)


def _open() -> GroupCommit:
    target = os.environ.get("BENCH_CEILING_DB", "ceiling.db")
    if target.startswith("postgresql://"):
        return GroupCommit(*postgres_writer(target, os.environ["BENCH_CEILING_SCHEMA"]))
    return GroupCommit(*sqlite_writer(target))


AUTH = os.environ.get("BENCH_AUTH", "").encode()
_committer: GroupCommit | None = None


async def _reply(send: Any, status: int, body: bytes) -> None:
    headers = [JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _committer
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _committer = _open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _committer is not None:
                    _committer.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/healthz":
        await _reply(send, 200, HEALTH)
        return
    if AUTH and (b"authorization", AUTH) not in scope["headers"]:
        await _reply(send, 401, UNAUTHORIZED)
        return
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    event = json.loads(body)
    payload = event["payload"]
    if path.endswith("/vca"):
        dtmf = (payload.get("eventData") or {}).get("dtmf")
        answer = ANSWERS.get(dtmf, MENU)
        channel = "vca"
    else:
        answer, channel = EMPTY, "vss"
    row = (payload.get("eventId"), payload.get("sessionId"), channel, time.time(), body.decode())
    assert _committer is not None
    await _committer.submit(row)
    await _reply(send, 200, answer)
