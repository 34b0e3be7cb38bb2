"""The webhook server under hostile or broken conditions, over real sockets on loopback:
strangers' oversized headers, ambiguous auth, absurd JSON, slow and half-closed connections,
and a store that hangs."""

from __future__ import annotations

import copy
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ivrkit._serving import BackgroundServer
from ivrkit.server import create_app
from ivrkit.store import Store, open_store
from ivrkit.trees import load_tree
from tests.conftest import load_fixture
from tests.postgres import admin_url, fresh_schema

SECRET = "s3cret-header-value"
PARSERS = ["h11", "httptools"]
SUMMARY = "vss_ivr_scenario1_bridge_completed.json"


def vca(event_id: str = "e-1", session_id: str = "s-1") -> dict[str, Any]:
    event = copy.deepcopy(load_fixture("vca_dtmf_eventdata.json"))
    event["payload"].pop("clientActionId")
    event["payload"].update(eventId=event_id, sessionId=session_id, eventData={"dtmf": "1"})
    return event


def raw_request(body: bytes, *, path: str = "/webhooks/vss") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def read_all(sock: socket.socket, timeout: float = 10.0) -> bytes:
    sock.settimeout(timeout)
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


# -- what strangers can make the store keep ----------------------------------------------------


@pytest.mark.e2e
def test_refused_deliveries_keep_little_however_large_their_headers(
    store: Store, tmp_path: Path
) -> None:
    app = create_app(load_tree(), store=store, webhook_secret=SECRET, spool=tmp_path / "s.jsonl")
    huge = "x" * 16_000
    headers = {"user-agent": huge, "x-forwarded-for": huge, "x-request-id": huge}
    with BackgroundServer(app) as running, httpx.Client(base_url=running.url) as client:
        for n in range(50):
            event = vca(event_id=f"e-{n}")
            event["padding"] = "y" * 50_000
            assert client.post("/webhooks/vca", json=event, headers=headers).status_code == 401
    kept = store.deliveries(limit=100)
    assert len(kept) == 50
    for delivery in kept:
        assert delivery.outcome == "unauthorized"
        kept_size = len(delivery.body) + sum(len(v) for v in delivery.headers.values())
        assert kept_size < 2_500, f"a refused delivery kept {kept_size} characters"
        assert delivery.headers["user-agent"].endswith("(16000 characters)")


@pytest.mark.e2e
def test_two_authorization_headers_are_refused_even_when_one_is_right(
    store: Store, tmp_path: Path
) -> None:
    app = create_app(load_tree(), store=store, webhook_secret=SECRET, spool=tmp_path / "s.jsonl")
    with BackgroundServer(app) as running, httpx.Client(base_url=running.url) as client:
        for pair in ([SECRET, "wrong"], ["wrong", SECRET], [SECRET, SECRET]):
            headers = [("authorization", value) for value in pair]
            response = client.post("/webhooks/vca", json=vca(), headers=headers)
            assert response.status_code == 401
            assert "several Authorization headers" in response.json()["detail"]
    assert store.session("s-1") is None
    assert {d.outcome for d in store.deliveries()} == {"unauthorized"}


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.e2e
def test_deeply_nested_json_is_400_not_the_entry_menu(
    store: Store, tmp_path: Path, depth: int
) -> None:
    app = create_app(load_tree(), store=store, spool=tmp_path / "s.jsonl")
    body = b'{"eventType": "CALL_ACTION", "payload": ' + b"[" * depth + b"]" * depth + b"}"
    body = body[: 60 * 1024] if len(body) > 60 * 1024 else body
    with BackgroundServer(app) as running:
        response = httpx.post(
            running.url + "/webhooks/vca",
            content=body,
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 400
    assert response.json()["error"] in {"malformed-json", "invalid-event"}
    assert store.deliveries()[0].http_status == 400


# httptools only: uvicorn's h11 protocol stops reading a pipelined request until the response
# before it ends (flow control), so behind an endless response the head stays in the client's
# socket, never in the server's memory; h11's cap is the 8 MB test below.
@pytest.mark.e2e
def test_a_huge_head_pipelined_behind_an_endless_response_gets_431() -> None:
    parser = "httptools"

    async def endless(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"streaming", "more_body": True})
        await anyio.sleep(60)

    with BackgroundServer(endless, parser=parser) as running:
        with socket.create_connection(("127.0.0.1", running.port)) as sock:
            sock.sendall(b"GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            sock.settimeout(10)
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
            sender = threading.Thread(
                target=_send_ignoring_resets, args=(sock, _huge_header(4 * 1024 * 1024))
            )
            sender.start()
            answer = read_all(sock)
            sender.join(30)
    assert b"HTTP/1.1 431 Request Header Fields Too Large" in answer, answer[-300:]


# -- slow and half-closed connections ----------------------------------------------------------


@pytest.fixture(params=PARSERS)
def impatient(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[BackgroundServer]:
    app = create_app(load_tree(), store=store, spool=tmp_path / "s.jsonl")
    with BackgroundServer(app, read_timeout=0.5, parser=request.param) as running:
        yield running


@pytest.mark.e2e
def test_headers_that_trickle_in_get_408_and_the_connection_closes(
    impatient: BackgroundServer,
) -> None:
    with socket.create_connection(("127.0.0.1", impatient.port)) as sock:
        sock.sendall(b"POST /webhooks/vca HTTP/1.1\r\nhost: x\r\n")
        time.sleep(0.3)
        sock.sendall(b"x-slow: 1\r\n")  # still trickling when the deadline passes
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.e2e
def test_a_body_that_never_finishes_gets_408(store: Store, tmp_path: Path, parser: str) -> None:
    app = create_app(load_tree(), store=store, spool=tmp_path / "s.jsonl")
    with BackgroundServer(app, read_timeout=0.5, parser=parser) as running:
        with socket.create_connection(("127.0.0.1", running.port)) as sock:
            partial = raw_request(b'{"eventType": "SESSION_SUMMARY"}')[:-10]
            sock.sendall(partial.replace(b"content-length: 32", b"content-length: 900"))
            answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert answer.endswith(b"the request did not arrive in time")


# -- request heads past the cap ------------------------------------------------------------------


def _send_ignoring_resets(sock: socket.socket, chunks: Iterator[bytes]) -> None:
    try:
        for chunk in chunks:
            sock.sendall(chunk)
    except OSError:
        pass  # the server closed after its answer: what matters is what it answered


def _huge_header(size: int, *, finished: bool = True) -> Iterator[bytes]:
    yield b"POST /webhooks/vca HTTP/1.1\r\nhost: 127.0.0.1\r\nx-huge: "
    block = b"h" * 65536
    for _ in range(size // len(block)):
        yield block
    if finished:
        yield b"\r\ncontent-length: 2\r\n\r\n{}"


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.e2e
def test_an_8_mb_header_gets_431_before_authentication(
    store: Store, tmp_path: Path, parser: str
) -> None:
    app = create_app(load_tree(), store=store, webhook_secret=SECRET, spool=tmp_path / "s.jsonl")
    with BackgroundServer(app, parser=parser) as running:
        with socket.create_connection(("127.0.0.1", running.port)) as sock:
            sender = threading.Thread(
                target=_send_ignoring_resets, args=(sock, _huge_header(8 * 1024 * 1024))
            )
            sender.start()
            answer = read_all(sock)
            sender.join(30)
        assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer
        assert b"connection: close" in answer
        assert answer.endswith(b"the request line and headers exceed 65536 bytes")
        # a head within the cap is still read and judged (here: refused for its secret)
        large_but_fine = {"x-large": "l" * 60_000}
        response = httpx.post(running.url + "/webhooks/vca", json=vca(), headers=large_but_fine)
        assert response.status_code == 401
    assert [d.outcome for d in store.deliveries()] == ["unauthorized"]


@pytest.mark.e2e
def test_a_connection_that_sends_nothing_is_closed(impatient: BackgroundServer) -> None:
    many = [socket.create_connection(("127.0.0.1", impatient.port)) for _ in range(50)]
    try:
        time.sleep(1.0)
        for sock in many:
            assert read_all(sock, timeout=5).startswith(b"HTTP/1.1 408 "), "left open"
    finally:
        for sock in many:
            sock.close()


@pytest.mark.e2e
def test_a_client_that_half_closes_after_a_summary_still_gets_its_answer(
    store: Store, tmp_path: Path
) -> None:
    app = create_app(load_tree(), store=store, spool=tmp_path / "s.jsonl")
    body = json.dumps(load_fixture(SUMMARY)).encode()
    with BackgroundServer(app) as running:
        with socket.create_connection(("127.0.0.1", running.port)) as sock:
            sock.sendall(raw_request(body))
            sock.shutdown(socket.SHUT_WR)
            answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b"{}")
    assert store.summary(load_fixture(SUMMARY)["payload"]["sessionId"]) is not None


# -- a store that hangs ------------------------------------------------------------------------


def _wait_for(condition: Any, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _hung_store_is_survived(app_store: Store, spool: Path, hold: Any, release: Any) -> None:
    """While the store hangs: summaries and events are answered 200 (spooled), /healthz says
    degraded; once it is back the spool drains into it."""
    app = create_app(load_tree(), store=app_store, spool=spool, commit_timeout=0.3)
    summary = load_fixture(SUMMARY)
    session = summary["payload"]["sessionId"]
    with BackgroundServer(app) as running, httpx.Client(base_url=running.url, timeout=30) as http:
        assert http.post("/webhooks/vca", json=vca("warm-up", "s-0")).status_code == 200
        hold()
        try:
            assert http.post("/webhooks/vss", json=summary).status_code == 200
            assert http.post("/webhooks/vca", json=vca("e-hung")).status_code == 200
            health = http.get("/healthz")
            assert health.status_code == 503
            assert health.json()["status"] == "degraded"
            assert health.json()["spooledDeliveries"] >= 2
        finally:
            release()
        assert http.post("/webhooks/vca", json=vca("e-after", "s-2")).status_code == 200
        assert _wait_for(lambda: app_store.summary(session) is not None), "spool not drained"
        assert _wait_for(lambda: http.get("/healthz").json()["status"] == "ok", 90), http.get(
            "/healthz"
        ).json()
    assert app_store.find_answered("e-hung") is not None
    assert not spool.exists()


@pytest.mark.e2e
@pytest.mark.slow
def test_a_locked_sqlite_store_does_not_hang_the_answers(store: Store, tmp_path: Path) -> None:
    locker = sqlite3.connect(tmp_path / "ivrkit.db", isolation_level=None)

    def hold() -> None:
        locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock

    def release() -> None:
        locker.execute("ROLLBACK")

    try:
        _hung_store_is_survived(store, tmp_path / "spool.jsonl", hold, release)
    finally:
        locker.close()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.e2e
def test_a_locked_postgresql_table_does_not_hang_the_answers(tmp_path: Path) -> None:
    import psycopg

    with fresh_schema() as (url, schema):
        pg_store = open_store(url)
        locker = psycopg.connect(admin_url())

        def hold() -> None:
            locker.execute(f'LOCK TABLE "{schema}".ivrkit_deliveries IN ACCESS EXCLUSIVE MODE')

        def release() -> None:
            locker.rollback()

        try:
            _hung_store_is_survived(pg_store, tmp_path / "spool.jsonl", hold, release)
        finally:
            locker.close()
            pg_store.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_healthz_stays_503_while_a_locked_table_outlasts_its_statements(tmp_path: Path) -> None:
    """Once the store's statements time out (and the deliveries are spooled) nothing commits
    any more, yet the table is still locked: /healthz must not turn back to 200 "degraded"
    until the store commits again, which it then notices without new deliveries."""
    import psycopg
    from sqlalchemy.engine import make_url

    from tests.asgi import InProcessServer

    with fresh_schema() as (url, schema):
        short = make_url(url).update_query_dict(
            {"options": f"-csearch_path={schema} -cstatement_timeout=1500"}
        )
        pg_store = open_store(short.render_as_string(hide_password=False))
        locker = psycopg.connect(admin_url())
        app = create_app(
            load_tree(), store=pg_store, spool=tmp_path / "spool.jsonl", commit_timeout=0.3
        )
        try:
            with InProcessServer(app) as server, server.client(timeout=30) as http:
                assert http.post("/webhooks/vca", json=vca("warm-up", "s-0")).status_code == 200
                locker.execute(f'LOCK TABLE "{schema}".ivrkit_deliveries IN ACCESS EXCLUSIVE MODE')
                assert http.post("/webhooks/vss", json=load_fixture(SUMMARY)).status_code == 200
                assert http.post("/webhooks/vca", json=vca("e-hung")).status_code == 200

                def timed_out_and_spooled() -> bool:
                    body = http.get("/healthz").json()
                    return body["commitRunningSeconds"] == 0 and body["spooledDeliveries"] >= 2

                assert _wait_for(timed_out_and_spooled, 30), http.get("/healthz").json()
                for _ in range(3):  # the table is still locked: not healthy, however often asked
                    health = http.get("/healthz")
                    assert health.status_code == 503, health.json()
                    assert "has not committed since" in " ".join(health.json()["problems"])
                    time.sleep(0.5)
                locker.rollback()
                assert _wait_for(lambda: http.get("/healthz").status_code == 200, 30), http.get(
                    "/healthz"
                ).json()
                assert http.get("/healthz").json()["status"] == "ok"
            assert pg_store.find_answered("e-hung") is not None
        finally:
            locker.close()
            pg_store.close()
