"""`ivrkit demo --campaign`: a 20-customer callback campaign against the simulated platform.

Some customers resolve their issue, some want an agent, some are busy and answer the retry, two
never answer, one is on the do-not-call list and one (in New York) is outside its calling window
until the campaign's clock moves to its morning. The demo ends with the campaign's report and
checks every contact ended as scripted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ivrkit._clock import ManualClock
from ivrkit._loopback import API_KEY, SUBACCOUNT, Loopback
from ivrkit.campaigns._catalog import CampaignStore
from ivrkit.campaigns._contacts import parse_contacts
from ivrkit.campaigns._model import CampaignSettings, CampaignStatus, ContactReport
from ivrkit.campaigns._runner import Runner
from ivrkit.client import VoiceClient

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
"""Monday 10:00 in Singapore, Sunday 21:00 in New York."""
NAME = "callbacks"


@dataclass(frozen=True)
class Customer:
    number: str
    name: str
    first: dict[str, object]
    """The phone's script for the first call."""
    then: dict[str, object] | None
    """Its script from the retry on (None: the same)."""
    outcome: str
    attempts: int
    timezone: str = ""


def _customers() -> list[Customer]:
    found: list[Customer] = []
    for n in range(8):
        found.append(
            Customer(f"+659100{n:04d}", f"Resolved{n}", {"press": ["1"]}, None, "resolved", 1)
        )
    for n in range(5):
        found.append(Customer(f"+659200{n:04d}", f"Agent{n}", {"press": ["2"]}, None, "agent", 1))
    for n in range(3):
        found.append(
            Customer(
                f"+659300{n:04d}", f"Busy{n}", {"answer": "busy"}, {"press": ["1"]}, "resolved", 2
            )
        )
    for n in range(2):
        found.append(
            Customer(f"+659400{n:04d}", f"Away{n}", {"answer": "no-answer"}, None, "no-answer", 2)
        )
    found.append(Customer("+6595000000", "Optout", {"press": ["1"]}, None, "do-not-call", 0))
    found.append(
        Customer(
            "+12125550199", "NewYork", {"press": ["1"]}, None, "resolved", 1, "America/New_York"
        )
    )
    return found


CUSTOMERS = _customers()
DNC = ("+6595000000",)


@dataclass(frozen=True)
class DemoResult:
    report: list[ContactReport]
    problems: list[str]
    """One line per contact that did not end as scripted."""


def run_campaign_demo(
    on_progress: Callable[[CampaignStatus], None],
    on_step: Callable[[str], None],
    *,
    db: str | None = None,
) -> DemoResult:
    """Play the campaign; ``on_step`` hears what happens between runs (the clock moving). The
    calls and the campaign are kept in the store at ``db`` when given (a campaign of the same
    name there, finished, gives its name up), else in a throwaway one."""
    clock = ManualClock(START)
    with Loopback(store_url=db) as loopback:
        campaigns = CampaignStore(loopback.store)
        for customer in CUSTOMERS:
            loopback.control.set_phone(customer.number, **customer.first)  # type: ignore[arg-type]
        rows = "".join(f"{c.number},{c.name},{c.timezone}\n" for c in CUSTOMERS)
        contacts = parse_contacts("number,name,timezone\n" + rows, do_not_call=DNC)
        settings = CampaignSettings(rate=20, max_concurrent=5, attempts=2, retry_after=1800)
        campaign = campaigns.create(NAME, settings, contacts, clock.now(), actor="ivrkit demo")
        with VoiceClient(
            API_KEY, SUBACCOUNT, base_url=loopback.platform_url, max_retries=0
        ) as client:

            def run() -> None:
                Runner(campaigns, NAME, client, loopback.tree, clock=clock).run(
                    stop_when_idle=True, on_progress=on_progress, progress_every=0.1
                )

            on_step("Monday 10:00 in Singapore: calling everyone inside their window")
            run()
            for customer in CUSTOMERS:
                if customer.then is not None:
                    loopback.control.set_phone(customer.number, **customer.then)  # type: ignore[arg-type]
            clock.advance(timedelta(minutes=40))
            on_step("40 minutes later: the busy and the unanswered are retried")
            run()
            clock.set(START + timedelta(hours=12, minutes=30))
            on_step("22:30 in Singapore, 09:30 in New York: the New York customer's window opens")
            run()
        report = campaigns.report(campaigns.get(campaign.name))
    return DemoResult(report, check_report(report))


def check_report(report: list[ContactReport]) -> list[str]:
    """One line per contact of ``report`` that did not end as :data:`CUSTOMERS` scripts."""
    expected = {c.number: c for c in CUSTOMERS}
    problems: list[str] = []
    for row in report:
        customer = expected[row.number]
        if row.outcome != customer.outcome:
            problems.append(f"{row.number}: outcome {row.outcome}, expected {customer.outcome}")
        if len(row.attempts) != customer.attempts:
            problems.append(
                f"{row.number}: {len(row.attempts)} attempt(s), expected {customer.attempts}"
            )
    if len(report) != len(CUSTOMERS):
        problems.append(f"{len(report)} contacts in the report, expected {len(CUSTOMERS)}")
    return problems
