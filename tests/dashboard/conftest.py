"""A store filled with real simulated calls of the simple IVR, and the dashboard served over it in
this process (tests/asgi.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ivrkit._harness import API_KEY, SUBACCOUNT, IvrHarness
from ivrkit.campaigns import CampaignSettings, CampaignStore, ManualClock, Runner, parse_contacts
from ivrkit.client import VoiceClient
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import SessionRecord, Store, open_store
from ivrkit.trees import load_tree
from ivrkit.trees._model import TreeSpec
from tests.asgi import InProcessServer

CUSTOMER = "+6512345678"
OTHER = "+6598765432"
AGENT = "+6561115777"
TOKEN = "a-long-random-dashboard-token"
CAMPAIGN = "spring"
RESOLVES = "+6590000001"
TRANSFERS = "+6590000002"
DO_NOT_CALL = "+6590000003"
MONDAY_10_SG = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


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
    campaign: list[str]
    """The sessions of the campaign's two calls (one resolves, one asks for the agent)."""
    now: datetime
    """A minute after the last call started: the dashboard's clock in these tests."""

    @property
    def all(self) -> list[str]:
        return [self.resolved, self.agent, self.retried, *self.campaign]


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
        campaign = run_campaign(ivr)
        records = [ivr.store.session(sid) for sid in (resolved, agent, retried, *campaign)]
    starts = [r.started_at for r in records if r is not None and r.started_at is not None]
    now = max(starts) + timedelta(minutes=1)
    return Calls(url, resolved, agent, retried, campaign, now=now)


def run_campaign(ivr: IvrHarness) -> list[str]:
    """A campaign of three contacts: one resolves, one asks for the agent, one is do-not-call."""
    ivr.phone(RESOLVES, press=["1"])
    ivr.phone(TRANSFERS, press=["2"], hangup_after=40)
    campaigns = CampaignStore(ivr.store)
    settings = CampaignSettings.model_validate({"rate": 50, "max_concurrent": 5, "attempts": 1})
    contacts = parse_contacts(
        f"number\n{RESOLVES}\n{TRANSFERS}\n{DO_NOT_CALL}\n", do_not_call=(DO_NOT_CALL,)
    )
    clock = ManualClock(MONDAY_10_SG)
    campaigns.create(CAMPAIGN, settings, contacts, clock.now())
    with VoiceClient(API_KEY, SUBACCOUNT, base_url=ivr.platform_url, max_retries=0) as client:
        runner = Runner(campaigns, CAMPAIGN, client, ivr.tree, clock=clock, rng=lambda: 0.5)
        runner.run(stop_when_idle=True)
    report = campaigns.report(campaigns.get(CAMPAIGN))
    return [a.session_id for row in report for a in row.attempts if a.session_id]


@pytest.fixture(scope="session")
def store(calls: Calls) -> Iterator[Store]:
    with open_store(calls.url) as opened:
        yield opened


Serve = Callable[..., httpx.Client]


@pytest.fixture
def serve(calls: Calls, store: Store) -> Iterator[Serve]:
    """Start the dashboard over the filled store with these settings; returns an HTTP client."""
    started: list[tuple[InProcessServer, httpx.Client]] = []

    def start(**settings: object) -> httpx.Client:
        options: dict[str, object] = {"clock": lambda: calls.now, "poll_interval": 0.2}
        options.update(settings)
        app = standalone_app(store, DashboardSettings(**options), trees=simple_ivr)  # type: ignore[arg-type]
        server = InProcessServer(app).start()
        client = server.client(timeout=10.0)
        started.append((server, client))
        return client

    yield start
    for server, client in started:
        client.close()
        server.stop()


def simple_ivr(name: str) -> TreeSpec | None:
    return load_tree().spec if name == "simple_ivr" else None


def session_of(store: Store, session_id: str) -> SessionRecord:
    record = store.session(session_id)
    assert record is not None
    return record
