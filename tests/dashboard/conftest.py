"""A store filled with real simulated calls of the simple IVR, and the dashboard served over it on
a loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest

from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.harness import IvrHarness
from ivrkit.serving import BackgroundServer
from ivrkit.store import SessionRecord, Store, open_store

CUSTOMER = "+6512345678"
OTHER = "+6598765432"
AGENT = "+6561115777"
TOKEN = "a-long-random-dashboard-token"


@dataclass(frozen=True)
class Calls:
    """What the simulator was asked to do, and the sessions it made."""

    url: str
    resolved: str
    """Pressed 1 at once."""
    agent: str
    """Pressed 2: bridged to the agent."""
    retried: str
    """Pressed 9 (invalid), then 1."""
    now: datetime
    """A minute after the last call started: the dashboard's clock in these tests."""

    @property
    def all(self) -> list[str]:
        return [self.resolved, self.agent, self.retried]


def place_calls(ivr: IvrHarness) -> tuple[str, str, str]:
    resolved = ivr.call(CUSTOMER, press=["1"])
    resolved.expect_summary(status="COMPLETED")
    agent = ivr.call(OTHER, press=["2"], hangup_after=40)
    agent.expect_summary(status="COMPLETED", call_count=2)
    retried = ivr.call(CUSTOMER, press=["9", "1"])
    retried.expect_summary(status="COMPLETED")
    return resolved.session_id, agent.session_id, retried.session_id


@pytest.fixture(scope="session")
def calls(tmp_path_factory: pytest.TempPathFactory) -> Calls:
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'ivrkit.db'}"
    with IvrHarness(store_url=url) as ivr:
        ivr.phone(AGENT, hangup_after=600)
        resolved, agent, retried = place_calls(ivr)
        records = [ivr.store.session(sid) for sid in (resolved, agent, retried)]
    starts = [r.started_at for r in records if r is not None and r.started_at is not None]
    return Calls(url, resolved, agent, retried, now=max(starts) + timedelta(minutes=1))


@pytest.fixture(scope="session")
def store(calls: Calls) -> Iterator[Store]:
    with open_store(calls.url) as opened:
        yield opened


Serve = Callable[..., httpx.Client]


@pytest.fixture
def serve(calls: Calls, store: Store) -> Iterator[Serve]:
    """Start the dashboard over the filled store with these settings; returns an HTTP client."""
    started: list[tuple[BackgroundServer, httpx.Client]] = []

    def start(**settings: object) -> httpx.Client:
        options: dict[str, object] = {"clock": lambda: calls.now, "poll_interval": 0.2}
        options.update(settings)
        app = standalone_app(store, DashboardSettings(**options))  # type: ignore[arg-type]
        server = BackgroundServer(app).start()
        client = httpx.Client(base_url=server.url, timeout=10.0)
        started.append((server, client))
        return client

    yield start
    for server, client in started:
        client.close()
        server.stop()


def session_of(store: Store, session_id: str) -> SessionRecord:
    record = store.session(session_id)
    assert record is not None
    return record
