"""A simulated platform, ivrkit's webhook server and a store (a SQLite file, or a PostgreSQL
schema of its own when IVRKIT_TEST_POSTGRES_URL is set), with campaigns on that store."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from ivrkit._harness import API_KEY, SUBACCOUNT, IvrHarness
from ivrkit.campaigns import (
    CampaignSettings,
    CampaignStore,
    ManualClock,
    Runner,
    ShiftedClock,
    parse_contacts,
)
from ivrkit.client import VoiceClient
from tests.store.conftest import backend, store_url  # noqa: F401  (SQLite, then PostgreSQL)

MONDAY_10_SG = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
"""10:00 in Singapore, 21:00 (Sunday) in New York."""


@dataclass
class Rig:
    harness: IvrHarness
    campaigns: CampaignStore
    clock: ManualClock
    """Business time: calling windows, due and retry times."""
    wall: ShiftedClock
    """The time workers share: a test makes a lease, a claim or a grace period pass with
    ``wall.advance`` instead of waiting for it."""
    clients: list[VoiceClient] = field(default_factory=list)

    def client(self, **options: object) -> VoiceClient:
        made = VoiceClient(API_KEY, SUBACCOUNT, base_url=self.harness.platform_url, **options)  # type: ignore[arg-type]
        self.clients.append(made)
        return made

    def create(self, name: str, csv: str, dnc: tuple[str, ...] = (), **settings: object) -> None:
        chosen = CampaignSettings.model_validate(
            {"rate": 50, "max_concurrent": 5, "retry_after": 1800, **settings}
        )
        found = parse_contacts(csv, do_not_call=dnc)
        self.campaigns.create(name, chosen, found, self.clock.now())

    def runner(
        self, name: str, client: VoiceClient | None = None, worker: str | None = None
    ) -> Runner:
        return Runner(
            self.campaigns,
            name,
            client or self.client(max_retries=0),
            self.harness.tree,
            clock=self.clock,
            worker=worker,
            rng=lambda: 0.5,
        )

    def calls_by_number(self) -> Counter[str]:
        return Counter(info.caller for info in self.harness.control.sessions())

    def wait_for_calls_to_end(self, timeout: float = 20.0) -> None:
        """Until every call the simulator placed has ended and the store holds its summary."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            infos = self.harness.control.sessions()
            ended = all(info.state == "ended" for info in infos)
            if ended and all(self._summarised(info.session_id) for info in infos):
                return
            time.sleep(0.02)
        raise AssertionError(f"calls still in progress after {timeout:g}s")

    def _summarised(self, session_id: str) -> bool:
        return self.harness.store.summary(session_id) is not None

    def phone(self, number: str, **script: object) -> None:
        self.harness.control.set_phone(number, **script)  # type: ignore[arg-type]

    def outcomes(self, name: str) -> dict[str, str | None]:
        campaign = self.campaigns.get(name)
        return {row.number: row.outcome for row in self.campaigns.report(campaign)}


@pytest.fixture
def rig(store_url: str) -> Iterator[Rig]:  # noqa: F811
    with IvrHarness(store_url=store_url) as harness:
        wall = ShiftedClock()
        made = Rig(
            harness, CampaignStore(harness.store, wall=wall), ManualClock(MONDAY_10_SG), wall
        )
        try:
            yield made
        finally:
            for client in made.clients:
                client.close()
