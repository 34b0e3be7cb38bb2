"""The live stream: a call placed while a dashboard watches appears as session-started, and its
end as session-ended; a stream resumes from its last event id."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from ivrkit._harness import IvrHarness
from ivrkit._serving import BackgroundServer
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.dashboard._browse import Browser
from ivrkit.dashboard._live import SPREAD, LiveFeed, parse_mark
from ivrkit.store import Store, open_store
from tests.dashboard.conftest import CUSTOMER


def events(lines: Iterator[str]) -> Iterator[tuple[str, str, dict[str, object]]]:
    """(event, id, data) of each event in an event stream."""
    name, ident, data = "message", "", ""
    for line in lines:
        if not line:
            if data:
                yield name, ident, json.loads(data)
            name, data = "message", ""
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data += value
        elif field == "id":
            ident = value


@pytest.mark.e2e
def test_a_new_call_appears_and_ends_on_the_stream(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    with IvrHarness(store_url=url) as ivr, open_store(url) as store:
        settings = DashboardSettings(poll_interval=0.2, stream_lifetime=20)
        with (
            BackgroundServer(standalone_app(store, settings)) as server,
            httpx.Client(base_url=server.url, timeout=20) as client,
            client.stream("GET", "/dashboard/events") as stream,
        ):
            assert stream.headers["content-type"].startswith("text/event-stream")
            call = ivr.call(CUSTOMER, press=["1"])
            seen: dict[str, dict[str, object]] = {}
            last_id = ""
            for name, ident, data in events(stream.iter_lines()):
                last_id = ident or last_id
                if data.get("session_id") == call.session_id:
                    seen[name] = data
                if "session-ended" in seen and name == "mark":
                    break  # the mark after the events: the id a browser resumes from
        assert seen["session-started"]["flow"] == "simple_ivr"
        assert seen["session-started"]["customer"] == "•••••5678"
        assert seen["session-ended"]["status"] == "COMPLETED"
        assert seen["session-ended"]["outcome"] == "resolved"
        assert parse_mark(last_id) is not None

        # Resumed from its last id, a stream repeats nothing it had sent.
        with (
            BackgroundServer(standalone_app(store, settings)) as server,
            httpx.Client(base_url=server.url, timeout=20) as client,
        ):
            headers = {"last-event-id": last_id}
            with client.stream("GET", "/dashboard/events", headers=headers) as stream:
                second = ivr.call(CUSTOMER, press=["1"])
                for _name, _ident, data in events(stream.iter_lines()):
                    assert data.get("session_id") != call.session_id
                    if data.get("session_id") == second.session_id:
                        break


def test_streams_wake_spread_over_the_first_part_of_each_tick(store: Store) -> None:
    # All woken at once, 500 streams held the event loop while webhook answers waited.
    feed = LiveFeed(Browser(store), DashboardSettings(poll_interval=2.0))
    phases = sorted(feed._next_phase() for _ in range(500))
    assert 0 <= phases[0] and phases[-1] < SPREAD * 2.0
    edges = [0.0, *phases, SPREAD * 2.0]
    widest = max(after - before for before, after in zip(edges, edges[1:], strict=False))
    assert widest < 3 * SPREAD * 2.0 / 500, f"a gap of {widest:.4f} s between wake-ups"


def test_marks_are_read_strictly() -> None:
    assert parse_mark("12-7") == (12, 7)
    for text in (None, "", "12", "a-b", "1-2-3", "-1-2"):
        assert parse_mark(text) is None


def test_streams_close_when_the_server_is_told_to_stop(store, tmp_path) -> None:
    """uvicorn waits for open responses before it stops: its exit handler ends the streams."""
    from types import SimpleNamespace

    from ivrkit._launch import close_streams_on_exit, mount_dashboard
    from ivrkit.server import create_app

    app = mount_dashboard(
        create_app(store=store, spool=tmp_path / "spool.jsonl"), DashboardSettings()
    )
    exits: list[int] = []
    server = SimpleNamespace(handle_exit=lambda sig, frame: exits.append(sig))
    close_streams_on_exit(server, app)
    feed = app.state.dashboard_feed
    assert not feed.closed
    server.handle_exit(15, None)
    assert feed.closed and exits == [15]


def _open(client: httpx.Client, stack: Any) -> httpx.Response:
    return stack.enter_context(client.stream("GET", "/dashboard/events"))


@contextmanager
def _streaming(store: Store, *, max_streams: int) -> Iterator[tuple[Any, httpx.Client, ExitStack]]:
    """The dashboard on a loopback port (a tick every 0.2 s): its live feed, a client, and a
    stack that closes the streams the test opens."""
    settings = DashboardSettings(poll_interval=0.2, stream_lifetime=60, max_streams=max_streams)
    app = standalone_app(store, settings)
    with (
        BackgroundServer(app) as server,
        httpx.Client(base_url=server.url, timeout=20) as client,
        ExitStack() as stack,
    ):
        yield app.state.dashboard_feed, client, stack


@pytest.mark.e2e
def test_live_streams_are_capped_per_process(store: Store) -> None:
    with _streaming(store, max_streams=3) as (feed, client, stack):
        streams = [_open(client, stack) for _ in range(3)]
        assert [s.status_code for s in streams] == [200, 200, 200]
        refused = client.get("/dashboard/events")
        assert refused.status_code == 503
        assert "3 live streams open" in refused.text
        assert refused.headers["retry-after"] == "30"
        assert client.get("/dashboard/api/sessions").status_code == 200  # the pages still work
        streams[0].close()
        deadline = time.monotonic() + 20
        while feed.open_streams >= 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feed.open_streams == 2, "a closed stream still counts"
        assert _open(client, stack).status_code == 200


@pytest.mark.e2e
def test_open_streams_share_one_query_per_tick(store: Store) -> None:
    with _streaming(store, max_streams=50) as (feed, client, stack):
        streams = [_open(client, stack) for _ in range(30)]
        lines = streams[0].iter_lines()
        ticks = 0
        for line in lines:  # wait until every stream is open, then count ticks on one of them
            if feed.open_streams == 30 and line == ": idle":
                break
        before = feed.queries
        for line in lines:
            ticks += line == ": idle"
            if ticks == 5:
                break
        queries = feed.queries - before
    # one query per tick (plus the tick under way), not one per stream and tick (150)
    assert queries <= ticks + 2, f"{queries} queries for {ticks} ticks of 30 streams"
