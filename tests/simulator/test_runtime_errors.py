"""The platform's run-time errors -2004 to -2010, each in the situation the spec gives it, over
real HTTP: the session ends in ERROR and the summary carries the code and the platform's text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivrkit._serving import BackgroundServer
from ivrkit.rules import RUNTIME_ERRORS
from ivrkit.simulator import ManualTimeline, SimulatorConfig
from ivrkit.wire import SessionSummaryPayload, format_valid_until
from tests.conftest import load_fixture
from tests.simulator.conftest import AGENT, CUSTOMER, Backend, World, make_world, wait_until

ABROAD = "+60123456789"  # a Malaysian number
VOICE = "en-US-BenjaminRUS"


def summary(world: World, session_id: str) -> SessionSummaryPayload:
    return SessionSummaryPayload.model_validate(world.summary(session_id)["payload"])


def assert_error(payload: SessionSummaryPayload, code: int) -> None:
    assert payload.session_status == "ERROR"
    assert payload.error_details is not None
    assert (payload.error_details.error_code, payload.error_details.error_msg) == (
        code,
        RUNTIME_ERRORS[code],
    )


def request_with(*actions: dict[str, Any], **top: Any) -> dict[str, Any]:
    make_call = {"action": "makeCall", "params": {"source": AGENT, "destination": CUSTOMER}}
    return {"callflow": [make_call, *actions], **top}


HANGUP = {"action": "hangup"}


# -- -2004 -------------------------------------------------------------------------------------


def test_a_callee_outside_the_coverage_is_2004(world: World) -> None:
    world.ctl.change_settings(covered_countries=["my"])
    view = world.call()
    payload = summary(world, view.session_id)
    assert_error(payload, -2004)
    call_a = payload.legs["callA"]
    assert (call_a.call_status, call_a.connected_timestamp, call_a.call_duration) == (
        "ERROR",
        None,
        0,
    )
    assert world.backend.vca == [], "a call never placed asks the backend nothing"


def test_a_bridge_outside_the_coverage_is_2004_on_leg_b(world: World) -> None:
    world.ctl.change_settings(covered_countries=["SG"])
    world.backend.answer = {
        "callflow": [{"action": "makeCall", "params": {"source": AGENT, "destination": ABROAD}}]
    }
    world.ctl.set_phone(CUSTOMER, press=["2"])
    payload = summary(world, world.call().session_id)
    assert_error(payload, -2004)
    assert (payload.legs["callA"].call_status, payload.legs["callB"].call_status) == (
        "COMPLETED",
        "ERROR",
    )


def test_an_inbound_caller_outside_the_coverage_is_2004(world: World) -> None:
    world.ctl.change_settings(covered_countries=["SG"])
    session_id = world.ctl.inbound_call(ABROAD, "+6561115888", sub_account_id="acme_voice")
    world.ctl.wait_for_end(session_id)
    assert_error(summary(world, session_id), -2004)
    assert world.backend.vca == []


def test_covered_calls_go_through(world: World) -> None:
    world.ctl.change_settings(covered_countries=["SG"])
    world.ctl.set_phone(CUSTOMER, press=["1"])
    assert summary(world, world.call().session_id).session_status == "COMPLETED"


# -- -2005 -------------------------------------------------------------------------------------


def test_a_voice_the_speech_engine_fails_on_is_2005(world: World) -> None:
    world.ctl.change_settings(unspeakable_voice_profiles=[VOICE])
    view = world.call()
    payload = summary(world, view.session_id)
    assert_error(payload, -2005)
    assert payload.last_action == "SAY_AND_CAPTURE"
    assert payload.legs["callA"].call_status == "ERROR"
    assert not [e for e in view.entries if e.kind == "spoken"], "nothing was spoken"


def test_a_text_with_nothing_to_speak_is_2005(world: World) -> None:
    say = {"action": "say", "params": {"text": "   ", "voiceProfile": VOICE}}
    response = world.send(request_with(say, HANGUP))
    assert response.status_code == 200, "the validator lets it through"
    world.ctl.wait_for_end(response.json()["sessionId"])
    assert_error(summary(world, response.json()["sessionId"]), -2005)


# -- -2006 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files() -> Iterator[tuple[str, list[str]]]:
    asked: list[str] = []

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        asked.append(name)
        if name == "hello.mp3":
            return Response(b"ID3" + b"\0" * 1000, media_type="audio/mpeg")
        if name == "huge.mp3":
            return Response(b"\0" * (5120 * 1024 + 1), media_type="audio/mpeg")
        return Response("not here", status_code=404)

    app = Starlette(routes=[Route("/audio/{name}", serve, methods=["GET"])])
    with BackgroundServer(app) as server:
        yield server.url, asked


def play(url: str) -> dict[str, Any]:
    return {"action": "playFile", "params": {"fileUrl": url}}


@pytest.mark.parametrize("name", ["missing.mp3", "huge.mp3"])
def test_a_file_that_cannot_be_downloaded_is_2006(
    world: World, files: tuple[str, list[str]], name: str
) -> None:
    base, _ = files
    world.ctl.change_settings(fetch_files=True)
    view = world.call(request_with(play(f"{base}/audio/{name}"), HANGUP))
    payload = summary(world, view.session_id)
    assert_error(payload, -2006)
    assert payload.last_action == "PLAY_FILE"


def test_a_file_that_downloads_plays_and_is_cached_for_an_hour(
    world: World, files: tuple[str, list[str]]
) -> None:
    base, asked = files
    asked.clear()
    world.ctl.change_settings(fetch_files=True)
    url = f"{base}/audio/hello.mp3"
    view = world.call(request_with(play(url), play(url), HANGUP))
    assert summary(world, view.session_id).session_status == "COMPLETED"
    assert asked == ["hello.mp3"], "the second play comes from the cache"
    assert len([e for e in view.entries if e.kind == "played"]) == 2


def test_files_are_not_downloaded_unless_asked(world: World, files: tuple[str, list[str]]) -> None:
    base, asked = files
    asked.clear()
    view = world.call(request_with(play(f"{base}/audio/missing.mp3"), HANGUP))
    assert summary(world, view.session_id).session_status == "COMPLETED"
    assert asked == []


# -- -2007 -------------------------------------------------------------------------------------


def test_a_validity_that_passes_before_dialling_is_2007(world: World) -> None:
    world.ctl.change_settings(dial_delay=60)
    until = format_valid_until(datetime.now(UTC) + timedelta(seconds=30))
    view = world.call(request_with(HANGUP, validUntil=until))
    payload = summary(world, view.session_id)
    assert_error(payload, -2007)
    assert payload.legs["callA"].call_status == "ERROR"
    assert not [e for e in view.entries if e.kind == "leg" and e.event == "answered"]


def test_a_validity_that_lasts_until_dialling_is_fine(world: World) -> None:
    world.ctl.change_settings(dial_delay=60)
    until = format_valid_until(datetime.now(UTC) + timedelta(hours=1))
    view = world.call(request_with(HANGUP, validUntil=until))
    assert summary(world, view.session_id).session_status == "COMPLETED"


# -- -2008 -------------------------------------------------------------------------------------


def test_a_bridge_with_a_caller_id_not_whitelisted_is_2008(world: World) -> None:
    world.ctl.change_settings(allowed_sources=[AGENT])
    world.ctl.set_phone(CUSTOMER, press=["2"])  # the guide's bridge presents the customer's number
    payload = summary(world, world.call().session_id)
    assert_error(payload, -2008)
    assert (payload.legs["callA"].call_status, payload.legs["callB"].call_status) == (
        "COMPLETED",
        "ERROR",
    )


def test_a_whitelist_changed_after_acceptance_is_2008(
    serve_sim: Any, backend_server: tuple[Backend, str]
) -> None:
    clock = ManualTimeline()
    worlds = make_world(serve_sim(SimulatorConfig(clock=clock, dial_delay=10)), backend_server)
    world = next(worlds)
    response = world.send(request_with(HANGUP))
    assert response.status_code == 200, response.text
    world.ctl.change_settings(allowed_sources=["+6500000000"])
    world.ctl.advance_clock(10)
    view = world.ctl.wait_for_end(response.json()["sessionId"])
    assert_error(summary(world, view.session_id), -2008)
    worlds.close()


def test_the_api_refuses_a_caller_id_the_settings_do_not_allow(world: World) -> None:
    world.ctl.change_settings(allowed_sources=["+6500000000"])
    response = world.send(request_with(HANGUP))
    assert response.json()["statusCode"] == -1014


# -- -2009 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"callflow": [{"action": "executeScenario", "params": {"scenarioName": ""}}]},
        {"scenarioName": "x", "callflow": []},
    ],
)
def test_an_answer_with_a_scenario_is_2009(world: World, answer: dict[str, Any]) -> None:
    world.backend.answer = answer
    world.ctl.set_phone(CUSTOMER, press=["1"])
    assert_error(summary(world, world.call().session_id), -2009)


def test_any_other_invalid_answer_stays_2003(world: World) -> None:
    world.backend.answer = {"callflow": [{"action": "dance"}]}
    world.ctl.set_phone(CUSTOMER, press=["1"])
    assert_error(summary(world, world.call().session_id), -2003)


# -- -2010 -------------------------------------------------------------------------------------


def test_a_trunk_without_capacity_is_2010(world: World) -> None:
    world.ctl.change_settings(trunk_capacity=0)
    payload = summary(world, world.call().session_id)
    assert_error(payload, -2010)
    assert payload.legs["callA"].call_status == "ERROR"


def test_a_bridge_beyond_the_capacity_is_2010(world: World) -> None:
    world.ctl.change_settings(trunk_capacity=1)
    world.ctl.set_phone(CUSTOMER, press=["2"])
    payload = summary(world, world.call().session_id)
    assert_error(payload, -2010)
    assert (payload.legs["callA"].call_status, payload.legs["callB"].call_status) == (
        "COMPLETED",
        "ERROR",
    )


def test_concurrent_calls_beyond_the_capacity_are_2010_until_one_ends(world: World) -> None:
    world.ctl.change_settings(trunk_capacity=1)
    world.ctl.set_phone(CUSTOMER, stepped=True)  # holds its line, waiting for keys
    first = world.send(load_fixture("request_simple_ivr_initial.json")).json()["sessionId"]
    wait_until(lambda: any(e.kind == "spoken" for e in world.ctl.session(first).entries))
    second = world.call(request_with(HANGUP))
    assert_error(summary(world, second.session_id), -2010)
    inbound = world.ctl.inbound_call("+6590000000", "+6561115888", sub_account_id="acme_voice")
    world.ctl.wait_for_end(inbound)
    assert_error(summary(world, inbound), -2010)
    world.ctl.press(first, "1", then_silence=True)
    world.ctl.wait_for_end(first)
    third = world.call(request_with(HANGUP))
    assert summary(world, third.session_id).session_status == "COMPLETED"


def test_the_trunk_capacity_comes_from_the_config(
    serve_sim: Any, backend_server: tuple[Backend, str]
) -> None:
    worlds = make_world(serve_sim(SimulatorConfig(trunk_capacity=0)), backend_server)
    world = next(worlds)
    assert world.ctl.settings().trunk_capacity == 0
    assert_error(summary(world, world.call(request_with(HANGUP)).session_id), -2010)
    world.ctl.change_settings(trunk_capacity=None)
    assert summary(world, world.call(request_with(HANGUP)).session_id).session_status == (
        "COMPLETED"
    )
    worlds.close()
