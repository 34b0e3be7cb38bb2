"""What a campaign placing many calls meets, over real HTTP: the Send Callflow rate limit (429
with Retry-After, surfaced by VoiceClient as RateLimited), a full trunk (-2010 in the summary)
and the clientRequestId that ties every summary to the request that placed its call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ivrkit.client import VoiceClient
from ivrkit.errors import RateLimited
from ivrkit.simulator import Answer, ManualTimeline, SimulatorConfig, SimulatorControl
from ivrkit.simulator._account.ratelimit import TokenBucket, retry_after_header
from ivrkit.simulator._account.settings import SettingsPatch
from ivrkit.wire import SessionSummaryPayload
from tests.conftest import load_fixture
from tests.simulator.conftest import CUSTOMER, SUB, World

API = f"/api/v1/subaccounts/{SUB}"


def _callback(client_request_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = load_fixture("request_vm_tts.json")
    del body["validUntil"]  # the fixture's has long passed
    if client_request_id is not None:
        body["clientRequestId"] = client_request_id
    return body


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_spends_its_burst_then_refills_at_its_rate() -> None:
    ticks = Ticks()
    bucket = TokenBucket(rate=2.0, burst=3, now=ticks)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    ticks.now = 0.25
    assert bucket.take() == pytest.approx(0.25), "a refused request spends nothing"
    ticks.now = 0.5
    assert bucket.take() == 0.0
    ticks.now = 100.0
    assert [bucket.take() for _ in range(4)][-1] > 0, "no more than the burst is saved up"


@pytest.mark.parametrize(("wait", "header"), [(0.001, "1"), (1.0, "1"), (1.2, "2"), (100, "100")])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: str) -> None:
    assert retry_after_header(wait) == header


def test_the_burst_defaults_to_one_second_of_requests() -> None:
    patch = SettingsPatch.model_validate({"rateLimit": 2.5})
    settings = patch.apply(SimulatorConfig().initial_settings())
    assert (settings.rate_limit, settings.burst) == (2.5, 3)
    assert SettingsPatch.model_validate({"rateLimit": None}).apply(settings).rate_limit is None


@pytest.fixture
def manual_sim(serve_sim: Any) -> Iterator[tuple[str, SimulatorControl]]:
    url = serve_sim(SimulatorConfig(clock=ManualTimeline(), rate_limit=2))
    with SimulatorControl(url) as ctl:
        yield url, ctl


def test_past_the_rate_send_callflow_answers_429_with_retry_after(
    manual_sim: tuple[str, SimulatorControl],
) -> None:
    url, ctl = manual_sim
    with httpx.Client(base_url=url + API) as api:
        codes = [api.post("/callflows", json=_callback()).status_code for _ in range(2)]
        assert codes == [200, 200]
        refused = api.post("/callflows", json=_callback())
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        body = refused.json()
        assert body["statusCode"] == 429 and body["sessionStatus"] == "NOT_CREATED"
        assert body["callFlowRequestId"] and "rate limit" in body["statusMessage"]
        assert len(ctl.sessions()) == 2, "a refused request creates no session"
        ctl.advance_clock(0.5)
        assert api.post("/callflows", json=_callback()).status_code == 200
        assert api.post("/callflows", json=_callback()).status_code == 429


def test_the_client_waits_as_asked_and_gets_through(
    manual_sim: tuple[str, SimulatorControl],
) -> None:
    url, ctl = manual_sim
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the platform's time moves while the client waits
        waits.append(seconds)
        ctl.advance_clock(seconds)

    with VoiceClient("key", SUB, base_url=url, sleep=sleep, validate=False) as client:
        created = [client.send_callflow(_callback()["callflow"]) for _ in range(3)]
    assert all(answer.session_id for answer in created)
    assert waits == [1.0], "one 429, one pause of its Retry-After"


def test_the_client_raises_rate_limited_with_retry_after_when_retries_run_out(
    world: World,
) -> None:
    world.ctl.change_settings(rate_limit=0.01, rate_limit_burst=1)  # one call, then 100 s
    waits: list[float] = []
    with VoiceClient(
        "key", SUB, base_url=world.url, sleep=waits.append, max_retries=2, validate=False
    ) as client:
        client.send_callflow(_callback()["callflow"])
        with pytest.raises(RateLimited) as caught:
            client.send_callflow(_callback()["callflow"])
    error = caught.value
    assert (error.http_status, error.status_code, error.retry_after) == (429, 429, 100.0)
    assert error.request_id and "wait 100 s" in str(error)
    assert len(waits) == 2, "both retries were tried before giving up"


def test_the_rate_limit_is_a_run_time_setting(world: World) -> None:
    settings = world.api.patch(f"{world.url}/sim/v1/settings", json={"rateLimit": 0.01})
    assert settings.json()["rateLimit"] == 0.01
    assert [world.send(_callback()).status_code for _ in range(2)] == [200, 429]
    world.ctl.change_settings(rate_limit=None)
    assert world.send(_callback()).status_code == 200
    world.ctl.change_settings(rate_limit=0.01)
    world.ctl.reset()
    assert world.ctl.settings().rate_limit is None, "a reset returns to the configured settings"


def test_a_configured_limit_is_there_from_the_start(serve_sim: Any) -> None:
    url = serve_sim(SimulatorConfig(rate_limit=0.01, rate_limit_burst=2))
    with httpx.Client(base_url=url + API) as api:
        codes = [api.post("/callflows", json=_callback()).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def _summary(world: World, session_id: str) -> SessionSummaryPayload:
    view = world.ctl.wait_for_end(session_id)
    assert view.summary is not None
    return view.summary.payload


def test_a_full_trunk_is_accepted_then_summarised_as_2010_with_the_request_id(
    world: World,
) -> None:
    """-2010 is a run-time error (spec §6.6): Send Callflow answers 200 and the session
    summary says ERROR -2010, carrying the clientRequestId of the request."""
    world.ctl.change_settings(trunk_capacity=0)
    answer = world.send(_callback("campaign-7/contact-42/attempt-1"))
    assert answer.status_code == 200 and answer.json()["sessionStatus"] == "CREATED"
    payload = _summary(world, answer.json()["sessionId"])
    assert payload.session_status == "ERROR"
    assert payload.error_details is not None and payload.error_details.error_code == -2010
    assert payload.client_request_id == "campaign-7/contact-42/attempt-1"
    delivered = world.summary(payload.session_id)["payload"]
    assert delivered["clientRequestId"] == "campaign-7/contact-42/attempt-1"


@pytest.mark.parametrize(("answer", "status"), [(Answer.BUSY, "BUSY"), (Answer.FAIL, "FAILED")])
def test_every_summary_carries_the_request_id(world: World, answer: Answer, status: str) -> None:
    world.ctl.set_phone(CUSTOMER, answer=answer)
    sent = world.send(_callback(f"attempt-{status}"))
    payload = _summary(world, sent.json()["sessionId"])
    assert (payload.session_status, payload.client_request_id) == (status, f"attempt-{status}")
