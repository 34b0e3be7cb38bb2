"""Who settles an attempt: its own worker, or any other once its lease has passed; two live
workers never race for the same attempts. The shared wall clock is moved, never waited for."""

from __future__ import annotations

from datetime import timedelta

from ivrkit.campaigns import CampaignSettings, CampaignStore, ShiftedClock, parse_contacts
from ivrkit.campaigns._attempts import QUIET_SECONDS, Attempts
from ivrkit.campaigns._claims import Claims
from ivrkit.campaigns._leases import Leases
from ivrkit.store import Store
from tests.campaigns.conftest import MONDAY_10_SG
from tests.store.conftest import backend, store, store_url  # noqa: F401

CSV = "number\n+6591230001\n+6591230002\n+6591230003\n"


def test_attempts_are_settled_by_their_worker_or_after_its_lease(store: Store) -> None:  # noqa: F811
    wall = ShiftedClock()
    campaigns = CampaignStore(store, wall=wall)
    settings = CampaignSettings(rate=50, window="00:00-24:00", worker_lease=30)
    campaign = campaigns.create("lease", settings, parse_contacts(CSV), MONDAY_10_SG)
    leases, claims, attempts = Leases(store, wall), Claims(store, wall), Attempts(store, wall)
    leases.join(campaign, "w1", "here", 1, settings.worker_lease)
    claimed = claims.claim(campaign, "w1", MONDAY_10_SG)
    started = {rid for _, rid in attempts.start(campaign, claimed, "w1")}
    assert len(started) == 3

    def settles(worker: str) -> set[str]:
        rows, _ = attempts.to_settle(campaign, worker)
        return {row.client_request_id for row in rows}

    # Fresh attempts being placed belong to w1's senders; w2 leaves them to w1.
    assert settles("w1") == settles("w2") == set()
    assert attempts.to_settle(campaign, "w1")[1] == 3
    wall.advance(timedelta(seconds=QUIET_SECONDS + 1))
    assert settles("w1") == started  # still being placed: w1 looks for them in the store
    assert settles("w2") == set()  # w1 is alive
    wall.advance(timedelta(seconds=settings.worker_lease))
    assert settles("w2") == started  # w1 fell silent: its attempts are w2's to settle
    attempts.not_placed(campaign, sorted(started), due=MONDAY_10_SG, note="no trace")
    assert settles("w1") == settles("w2") == set()
    assert claims.idle(campaign, MONDAY_10_SG) is False  # called again
