"""Numbers a worker cannot work with never stop it: durations are bounded where they are typed,
a 429 asking for a wait of 60 digits is capped, and a contact whose retry cannot be dated ends
as ``error`` with the reason while the worker goes on (nobody is left "calling")."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from ivrkit._harness import API_KEY, SUBACCOUNT
from ivrkit.campaigns import CampaignSettings, Runner
from ivrkit.campaigns._model import (
    CALLING,
    CLAIMED,
    MAX_DURATION,
    PAUSED,
    parse_duration,
    parse_rate,
)
from ivrkit.campaigns._runner import MAX_HOLD_SECONDS
from ivrkit.client import VoiceClient
from ivrkit.errors import ConfigError
from tests.campaigns.conftest import Rig
from tests.campaigns.test_backoff import RateLimitingTransport
from tests.cli.run import ivrkit

BUSY = "+6591230001"
FINE = "+6591230002"


@pytest.mark.parametrize("text", ["70000000h", "367d", "9" * 60, "1e400", "99999999999999d"])
def test_a_duration_past_a_year_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_duration(text)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_366_days_is_the_longest_wait() -> None:
    assert parse_duration("366d") == MAX_DURATION
    with pytest.raises(ValidationError):
        CampaignSettings(retry_after=MAX_DURATION + 1)
    for name in ("claim_seconds", "placing_grace", "worker_lease", "summary_timeout"):
        with pytest.raises(ValidationError):
            CampaignSettings.model_validate({name: 1e300})


def test_campaign_create_refuses_a_retry_after_of_70000000h(tmp_path: Path) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text("number\n91234567\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'ivrkit.db'}"
    ran = ivrkit(
        "campaign", "create", "x", "--contacts", str(contacts), "--db", db,
        "--retry-after", "70000000h", columns=300,
    )  # fmt: skip
    assert ran.returncode != 0
    assert "Traceback" not in ran.stderr
    assert "longer than a campaign waits" in ran.stderr


@pytest.mark.e2e
def test_a_429_asking_for_60_digits_of_seconds_holds_the_campaign_a_bounded_time(
    rig: Rig,
) -> None:
    rig.phone(FINE, press=["1"])
    rig.create("limited", f"number\n{FINE}\n", attempts=1)
    transport = RateLimitingTransport(refusals=1, retry_after="9" * 60)
    client = VoiceClient(
        API_KEY, SUBACCOUNT, base_url=rig.harness.platform_url, max_retries=0, transport=transport
    )
    rig.clients.append(client)
    runner = rig.runner("limited", client)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(runner.run().reason), daemon=True)
    worker.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not transport.refused_at:
        time.sleep(0.05)
    held = f"429: held {MAX_HOLD_SECONDS:g}s"
    while time.monotonic() < deadline:
        [row] = rig.campaigns.report(rig.campaigns.get("limited"))
        if [a.note for a in row.attempts] == [held]:
            break
        time.sleep(0.05)
    rig.campaigns.set_state("limited", PAUSED, rig.clock.now())
    worker.join(30)
    assert outcome == ["paused"]  # held, not crashed
    [row] = rig.campaigns.report(rig.campaigns.get("limited"))
    assert row.state not in (CALLING, CLAIMED)
    assert [a.note for a in row.attempts] == [held]


@pytest.mark.e2e
def test_a_contact_whose_retry_cannot_be_dated_ends_in_error_and_the_worker_goes_on(
    rig: Rig,
) -> None:
    rig.phone(BUSY, answer="busy")
    rig.phone(FINE, press=["1"])
    rig.create("odd", f"number\n{BUSY}\n{FINE}\n", attempts=3, jitter=1)
    runner = Runner(
        rig.campaigns,
        "odd",
        rig.client(max_retries=0),
        rig.harness.tree,
        clock=rig.clock,
        rng=lambda: 1e308,  # the busy callee's retry lands past the end of time
    )
    result = runner.run(stop_when_idle=True)
    assert result.reason == "done"
    rows = {row.number: row for row in rig.campaigns.report(rig.campaigns.get("odd"))}
    assert rows[FINE].outcome == "resolved"
    assert rows[BUSY].outcome == "error"
    assert rows[BUSY].state not in (CALLING, CLAIMED)
    [attempt] = rows[BUSY].attempts
    assert (attempt.note or "").startswith("cannot schedule this contact:")


@pytest.mark.parametrize(
    "args",
    [("demo", "--timeout", "1e300"), ("phone", "--wait", "1e300")],
)
def test_command_line_waits_are_bounded(args: tuple[str, ...]) -> None:
    ran = ivrkit(*args, columns=300)
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    assert "less than or equal to" in ran.stderr


@pytest.mark.parametrize("text", ["1e-300/s", "0.1/h", "1e400", "nan", "inf/s", "20000/s"])
def test_a_pace_outside_one_call_an_hour_to_10000_a_second_is_refused(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rate(text)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200
    with pytest.raises(ValidationError):
        CampaignSettings(rate=1e-300)


def test_one_call_an_hour_is_the_slowest_pace() -> None:
    assert parse_rate("1/h") == pytest.approx(1 / 3600)
