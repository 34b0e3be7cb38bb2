"""What a campaign says it waits for, when its next call is due and when it will be through; what
a worker tells while it waits (once per reason), and a paused worker going on when resumed.
Clocks are set, never waited for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from ivrkit.campaigns import (
    CampaignSettings,
    CampaignStore,
    ManualClock,
    Runner,
    parse_contacts,
)
from ivrkit.campaigns import _model as m
from ivrkit.campaigns import _runner as runner_module
from ivrkit.campaigns._tables import CAMPAIGNS, CONTACTS, C, K
from ivrkit.client import VoiceClient
from ivrkit.store import Store
from ivrkit.trees import load_tree
from tests.store.conftest import backend, store, store_url  # noqa: F401

SG_0318 = datetime(2026, 3, 1, 19, 18, tzinfo=UTC)
"""Monday 2 March 2026, 03:18 in Singapore: the default window (09:00-20:00) opens in 5 h 42."""
SG_0900 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
THREE = "number\n+6591230001\n+6591230002\n+6591230003\n"


def numbers(count: int) -> str:
    return "number\n" + "".join(f"+659123{n:04d}\n" for n in range(count))


class Ticking(ManualClock):
    """Business time that moves ten seconds each time the worker sleeps: a worker left waiting
    reaches its ``until`` in a few rounds, without real waiting."""

    def sleep(self, seconds: float) -> None:
        self.advance(timedelta(seconds=10))


@pytest.fixture
def campaigns(store: Store) -> CampaignStore:  # noqa: F811
    return CampaignStore(store, wall=ManualClock(SG_0318))


@pytest.fixture
def client() -> Iterator[VoiceClient]:
    # Never reached: no call is due while these tests run.
    with VoiceClient("key", "sub", base_url="http://127.0.0.1:9", max_retries=0) as made:
        yield made


def test_a_campaign_created_before_its_window_says_when_and_why_it_will_call(
    campaigns: CampaignStore,
) -> None:
    campaign = campaigns.create("dawn", CampaignSettings(), parse_contacts(THREE), SG_0318)
    status = campaigns.status(campaign, SG_0318)
    assert status.next_due == SG_0900
    assert status.zone == "Asia/Singapore"
    assert status.wait is not None and status.wait.kind == m.WAIT_WINDOW
    assert status.wait.until == SG_0900 and status.wait.contacts == 3
    assert "09:00 Asia/Singapore (01:00 UTC)" in status.wait.describe()
    # Three calls at 5/s once the window opens, not "remaining / recent rate".
    assert status.eta == SG_0900 + timedelta(seconds=0.6)
    assert status.eta_seconds == pytest.approx(5 * 3600 + 42 * 60 + 0.6)


def test_the_eta_walks_the_calling_windows_day_by_day(campaigns: CampaignStore) -> None:
    # One call a minute, one hour a day: 60 calls a day, on Mondays and Wednesdays only.
    settings = CampaignSettings(rate=1 / 60, window="09:00-10:00", days="mon,wed")
    campaign = campaigns.create("slow", settings, parse_contacts(numbers(150)), SG_0318)
    status = campaigns.status(campaign, SG_0318)
    # Monday 60, Wednesday 60, the next Monday the last 30: 09:30 in Singapore.
    assert status.eta == datetime(2026, 3, 9, 1, 30, tzinfo=UTC)
    assert status.wait is not None and "09:00-10:00 mon,wed" in status.wait.describe()


def test_a_retry_pacing_and_the_concurrency_limit_are_each_named(
    campaigns: CampaignStore,
    store: Store,  # noqa: F811
) -> None:
    settings = CampaignSettings(window="00:00-24:00", max_concurrent=2, rate=1 / 3600)
    campaign = campaigns.create("named", settings, parse_contacts(THREE), SG_0318)
    retry_at = SG_0318 + timedelta(minutes=30)
    with store.transaction() as conn:
        conn.execute(
            update(CONTACTS)
            .where(K.campaign_id == campaign.id)
            .values(attempts=1, due_at=retry_at, outcome="busy")
        )
    wait = campaigns.waiting(campaign, SG_0318)
    assert wait is not None and (wait.kind, wait.until, wait.contacts) == ("retry", retry_at, 3)

    later = retry_at + timedelta(minutes=1)
    slot = later + timedelta(minutes=20)
    campaigns.wall = ManualClock(later)
    with store.transaction() as conn:
        conn.execute(update(CAMPAIGNS).where(C.id == campaign.id).values(next_slot_at=slot))
    wait = campaigns.waiting(campaign, later)
    assert wait is not None and (wait.kind, wait.until) == ("pacing", slot)
    assert "rate 1/h" in wait.describe()

    with store.transaction() as conn:
        conn.execute(update(CAMPAIGNS).where(C.id == campaign.id).values(next_slot_at=None))
        conn.execute(
            update(CONTACTS)
            .where(K.campaign_id == campaign.id, K.line <= 3)  # lines 2 and 3
            .values(state=m.CALLING)
        )
    wait = campaigns.waiting(campaign, later)
    assert wait is not None and wait.kind == "busy"
    assert "2 of 2 calls in progress" in wait.describe()

    held = later + timedelta(seconds=90)
    with store.transaction() as conn:
        conn.execute(update(CONTACTS).where(K.campaign_id == campaign.id).values(state=m.PENDING))
        conn.execute(update(CAMPAIGNS).where(C.id == campaign.id).values(hold_until=held))
    wait = campaigns.waiting(campaign, later)
    assert wait is not None and (wait.kind, wait.until) == ("hold", held)

    with store.transaction() as conn:
        conn.execute(update(CONTACTS).where(K.campaign_id == campaign.id).values(state=m.CALLING))
    wait = campaigns.waiting(campaign, later)
    assert wait is not None and wait.describe() == "waiting for 3 call(s) in progress to end"


def test_a_worker_tells_its_wait_once_not_every_round(
    campaigns: CampaignStore, client: VoiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "LOOK_EVERY", 0.0)  # look every round
    campaigns.create("dawn", CampaignSettings(), parse_contacts(THREE), SG_0318)
    clock = Ticking(SG_0318)
    told: list[m.Wait | None] = []
    worker = Runner(campaigns, "dawn", client, load_tree("simple_ivr"), clock=clock)
    result = worker.run(until=SG_0318 + timedelta(minutes=2), on_wait=told.append)
    assert result.reason == "until"
    assert [w.kind if w else None for w in told] == ["window"]
    assert told[0] is not None and told[0].until == SG_0900


def test_a_paused_worker_goes_on_when_the_campaign_is_resumed(
    campaigns: CampaignStore, client: VoiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "LOOK_EVERY", 0.0)
    campaigns.create("held", CampaignSettings(), parse_contacts(THREE), SG_0318)
    campaigns.pause("held", SG_0318, actor="alice@desk")
    clock = Ticking(SG_0318)
    told: list[m.Wait | None] = []

    def heard(wait: m.Wait | None) -> None:
        told.append(wait)
        if wait is not None and wait.kind == "paused":
            campaigns.resume("held", clock.now(), actor="bob@desk")

    worker = Runner(campaigns, "held", client, load_tree("simple_ivr"), clock=clock)
    result = worker.run(until=SG_0318 + timedelta(minutes=2), on_wait=heard, wait_while_paused=True)
    # It did not stop at the pause: it waited, went on once resumed, and waits for the window.
    assert result.reason == "until"
    assert [w.kind if w else None for w in told] == ["paused", "window"]
    assert told[0] is not None and "paused by alice@desk" in told[0].describe()
    actions = [(c.actor, c.action) for c in campaigns.changes(campaigns.get("held"))]
    assert actions == [
        ("unknown", "created"),
        ("alice@desk", "paused"),
        ("bob@desk", "resumed"),
    ]
