"""Campaigns through the simulator over HTTP and the webhook server, on a real store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivrkit.campaigns._model import ACTIVE, DONE
from tests.campaigns.conftest import MONDAY_10_SG, Rig

pytestmark = pytest.mark.e2e

RESOLVES, AGENT, BUSY_ONCE, DNC, NEW_YORK, NEVER = (
    "+6591230001",
    "+6591230002",
    "+6591230003",
    "+6591230004",
    "+12125550123",
    "+6591230005",
)


def test_a_campaign_calls_each_contact_in_its_window_retries_and_ends_with_outcomes(
    rig: Rig,
) -> None:
    rig.phone(RESOLVES, press=["1"])
    rig.phone(AGENT, press=["2"])
    rig.phone(BUSY_ONCE, answer="busy")
    rig.phone(NEW_YORK, press=["1"])
    rig.phone(NEVER, answer="no-answer")
    csv = "number,name\n" + "".join(
        f"{n},c{i}\n" for i, n in enumerate([RESOLVES, AGENT, BUSY_ONCE, DNC, NEW_YORK, NEVER])
    )
    rig.create("spring", csv, dnc=(DNC,), attempts=2)

    first = rig.runner("spring").run(stop_when_idle=True)
    assert first.reason == "idle" and first.state == ACTIVE
    report = {row.number: row for row in rig.campaigns.report(rig.campaigns.get("spring"))}
    assert report[RESOLVES].outcome == "resolved"
    assert report[AGENT].outcome == "agent"
    assert report[DNC].outcome == "do-not-call" and report[DNC].attempts == []
    assert report[NEW_YORK].attempts == []  # 21:00 in New York: it waits
    assert report[NEW_YORK].state == "pending"
    assert [a.outcome for a in report[BUSY_ONCE].attempts] == ["busy"]
    assert report[BUSY_ONCE].state == "pending"  # retried in 30 minutes (plus jitter)

    rig.phone(BUSY_ONCE, press=["1"])
    rig.clock.advance(timedelta(minutes=20))  # not yet: 30 min + 10 % jitter
    rig.runner("spring").run(stop_when_idle=True)
    assert len(rig.campaigns.report(rig.campaigns.get("spring"))[2].attempts) == 1
    rig.clock.advance(timedelta(minutes=20))
    rig.runner("spring").run(stop_when_idle=True)

    rig.clock.set(MONDAY_10_SG + timedelta(hours=12, minutes=30))  # 09:30 in New York
    done = rig.runner("spring").run(stop_when_idle=True)
    assert done.reason == "done" and done.state == DONE
    assert rig.outcomes("spring") == {
        RESOLVES: "resolved",
        AGENT: "agent",
        BUSY_ONCE: "resolved",
        DNC: "do-not-call",
        NEW_YORK: "resolved",
        NEVER: "no-answer",
    }
    calls = rig.calls_by_number()
    assert calls[RESOLVES] == 1 and calls[AGENT] == 1 and calls[NEW_YORK] == 1
    assert calls[BUSY_ONCE] == 2 and calls[NEVER] == 2  # --attempts 2
    assert calls[DNC] == 0
    (agent_row,) = [
        r for r in rig.campaigns.report(rig.campaigns.get("spring")) if r.number == AGENT
    ]
    session = rig.harness.store.session(agent_row.attempts[0].session_id or "")
    assert (
        session is not None and session.client_request_id == agent_row.attempts[0].client_request_id
    )


def test_contacts_still_waiting_at_the_end_expire_and_until_stops_a_run(rig: Rig) -> None:
    rig.phone(BUSY_ONCE, answer="busy")
    end = MONDAY_10_SG + timedelta(minutes=20)
    rig.create("short", f"number\n{BUSY_ONCE}\n{NEW_YORK}\n", end=end.isoformat())
    assert rig.runner("short").run(until=MONDAY_10_SG).reason == "until"
    assert rig.calls_by_number() == {}  # --until had passed: nothing placed
    rig.runner("short").run(stop_when_idle=True)
    # New York's window opens after the end: it will never be called.
    assert rig.outcomes("short") == {BUSY_ONCE: None, NEW_YORK: "no-window"}
    rig.clock.set(end + timedelta(minutes=1))  # the busy one's retry would come after the end
    assert rig.runner("short").run(stop_when_idle=True).reason == "done"
    assert rig.outcomes("short") == {BUSY_ONCE: "expired", NEW_YORK: "no-window"}
    assert rig.calls_by_number() == {BUSY_ONCE: 1}


def test_a_paused_campaign_places_no_call_until_resumed(rig: Rig) -> None:
    rig.phone(RESOLVES, press=["1"])
    rig.create("held", f"number\n{RESOLVES}\n")
    rig.campaigns.set_state("held", "paused", rig.clock.now())
    assert rig.runner("held").run().reason == "paused"
    assert rig.calls_by_number()[RESOLVES] == 0
    rig.campaigns.set_state("held", "active", rig.clock.now())
    assert rig.runner("held").run().reason == "done"
    assert rig.outcomes("held") == {RESOLVES: "resolved"}
