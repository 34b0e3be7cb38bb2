"""Editing a campaign (each change recorded, old → new, with who and when) and giving a
finished campaign's name to a new one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from ivrkit.campaigns import CampaignSettings, CampaignStore, ManualClock, parse_contacts
from ivrkit.campaigns import _model as m
from ivrkit.campaigns._tables import CONTACTS, K
from ivrkit.errors import CampaignError
from ivrkit.store import Store
from tests.store.conftest import backend, store, store_url  # noqa: F401

SG_0318 = datetime(2026, 3, 1, 19, 18, tzinfo=UTC)
THREE = "number\n+6591230001\n+6591230002\n+6591230003\n"


@pytest.fixture
def campaigns(store: Store) -> CampaignStore:  # noqa: F811
    return CampaignStore(store, wall=ManualClock(SG_0318))


def test_an_edit_records_each_setting_old_and_new_with_who_and_when(
    campaigns: CampaignStore,
) -> None:
    campaigns.create("spring", CampaignSettings(), parse_contacts(THREE), SG_0318, actor="ann")
    end = datetime(2026, 3, 10, tzinfo=UTC)
    later = SG_0318 + timedelta(minutes=5)
    campaign, done = campaigns.edit(
        "spring",
        {"rate": 2.0, "attempts": 3, "end": end, "window": "08:00-18:00"},
        later,
        actor="bob",
    )
    assert [c.describe() for c in done] == [
        "rate 5/s → 2/s",
        "window 09:00-20:00 → 08:00-18:00",
        f"end none → {end.isoformat()}",
    ]  # attempts was 3 already: not a change
    assert campaign.settings.rate == 2.0 and campaign.settings.end == end
    changes = campaigns.status(campaign, later).changes
    assert [(c.actor, c.at, c.describe()) for c in changes][1] == ("bob", later, "rate 5/s → 2/s")
    assert campaigns.edit("spring", {"rate": 2.0}, later)[1] == []


def test_a_new_window_applies_to_contacts_waiting_for_the_old_one(
    campaigns: CampaignStore,
    store: Store,  # noqa: F811
) -> None:
    campaign = campaigns.create("w", CampaignSettings(), parse_contacts(THREE), SG_0318)
    # What a worker's claim does at 03:18: the contacts wait for 09:00 Singapore time.
    with store.transaction() as conn:
        conn.execute(
            update(CONTACTS)
            .where(K.campaign_id == campaign.id)
            .values(due_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
        )
    campaigns.edit("w", {"window": "00:00-24:00"}, SG_0318)
    status = campaigns.status(campaigns.get("w"), SG_0318)
    assert status.next_due == SG_0318 and status.wait is None  # due now: nothing to wait for


def test_fewer_attempts_end_the_contacts_that_had_them(
    campaigns: CampaignStore,
    store: Store,  # noqa: F811
) -> None:
    campaign = campaigns.create("r", CampaignSettings(attempts=3), parse_contacts(THREE), SG_0318)
    with store.transaction() as conn:
        conn.execute(
            update(CONTACTS)
            .where(K.campaign_id == campaign.id, K.line == 2)
            .values(attempts=2, outcome="busy")
        )
    campaigns.edit("r", {"attempts": 2}, SG_0318)
    rows = {row.line: row for row in campaigns.report(campaign)}
    assert (rows[2].state, rows[2].outcome, rows[2].note) == (
        "ended",
        "busy",
        "attempts lowered to 2",
    )
    assert rows[3].state == "pending"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rate": 0.0}, "rate"),
        ({"window": "20:00-09:00"}, "ends before it starts"),
        ({"end": datetime(2026, 1, 1, tzinfo=UTC), "start": None}, "cannot edit start"),
        ({"region": "US"}, "cannot edit region"),
    ],
)
def test_a_bad_edit_changes_nothing_and_says_why(
    campaigns: CampaignStore, changes: dict[str, object], message: str
) -> None:
    campaigns.create("b", CampaignSettings(), parse_contacts(THREE), SG_0318)
    with pytest.raises(CampaignError, match=message):
        campaigns.edit("b", changes, SG_0318)
    assert campaigns.get("b").settings == CampaignSettings()
    assert [c.action for c in campaigns.changes(campaigns.get("b"))] == ["created"]


def test_a_cancelled_campaign_cannot_be_edited(campaigns: CampaignStore) -> None:
    campaigns.create("c", CampaignSettings(), parse_contacts(THREE), SG_0318)
    campaigns.cancel("c", SG_0318)
    with pytest.raises(CampaignError, match="is cancelled: nothing to edit"):
        campaigns.edit("c", {"rate": 1.0}, SG_0318)


def test_a_cancelled_campaigns_name_is_free_and_it_is_kept_under_another(
    campaigns: CampaignStore,
) -> None:
    first = campaigns.create("may", CampaignSettings(), parse_contacts(THREE), SG_0318)
    with pytest.raises(CampaignError, match="is active; cancel it first"):
        campaigns.create("may", CampaignSettings(), parse_contacts(THREE), SG_0318)
    campaigns.cancel("may", SG_0318, actor="ann")
    second = campaigns.create("may", CampaignSettings(rate=1), parse_contacts(THREE), SG_0318)
    kept = campaigns.get_by_id(first.id)
    assert kept.name == f"may~{first.id}" and kept.state == m.CANCELLED
    assert campaigns.get("may").id == second.id != first.id
    assert [c.name for c in campaigns.all()] == [kept.name, "may"]
    assert {row.outcome for row in campaigns.report(kept)} == {"cancelled"}
    assert campaigns.changes(kept)[-1].describe() == f"renamed may → may~{first.id}"
