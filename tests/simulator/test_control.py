"""The /sim/v1 control API and its Python client: inbound calls, live phones, stepped time."""

from __future__ import annotations

from typing import Any

import pytest

from ivrkit.simulator import (
    ManualTimeline,
    SimulatorConfig,
    SimulatorControlError,
    SimulatorTimeout,
)
from ivrkit.simulator._control.client import SimulatorControl
from tests.conftest import load_fixture
from tests.simulator.conftest import CUSTOMER, Backend, World, make_world, wait_until


def test_inbound_call_to_an_unknown_number_is_refused(world: World) -> None:
    with pytest.raises(SimulatorControlError) as refused:
        world.ctl.inbound_call("+6598765432", "+6500000000")
    assert refused.value.http_status == 404


def test_inbound_call_without_a_vca_webhook_is_refused(world: World) -> None:
    world.api.delete("/webhooks/VCA")
    with pytest.raises(SimulatorControlError) as refused:
        world.ctl.inbound_call("+6598765432", "+6561115777")
    assert refused.value.http_status == 409 and "VCA" in str(refused.value)


def test_phone_scripts_are_validated(world: World) -> None:
    with pytest.raises(SimulatorControlError) as refused:
        world.ctl.set_phone(CUSTOMER, press=["1x"])
    assert "0-9" in str(refused.value)
    response = world.api.put(world.url + "/sim/v1/phones/123", json={"answer": "maybe"})
    assert response.status_code == 400


def test_transcript_after_and_reset(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    assert [entry.seq for entry in view.entries] == list(range(1, len(view.entries) + 1))
    assert view.entries[0].kind == "callflow" and view.entries[-1].kind == "ended"
    later = world.ctl.session(view.session_id, after=view.last_seq - 2)
    assert [entry.seq for entry in later.entries] == [view.last_seq - 1, view.last_seq]
    world.ctl.reset()
    assert world.ctl.sessions() == []
    assert world.api.get("/webhooks").json()["count"] == 0


def test_press_is_refused_for_a_scripted_phone(world: World) -> None:
    world.ctl.set_phone(CUSTOMER, ring_seconds=1)
    view = world.call()
    with pytest.raises(SimulatorControlError) as refused:
        world.ctl.press(view.session_id, "1")
    assert refused.value.http_status == 409


def test_interactive_phone_presses_live(
    serve_sim: Any, backend_server: tuple[Backend, str]
) -> None:
    url = serve_sim(SimulatorConfig(speed=20))
    worlds = make_world(url, backend_server)
    world = next(worlds)
    world.ctl.set_phone(CUSTOMER, interactive=True, ring_seconds=0)
    session_id = world.send(load_fixture("request_simple_ivr_initial.json")).json()["sessionId"]
    wait_until(
        lambda: any(e.kind == "spoken" for e in world.ctl.session(session_id, wait=1).entries)
    )
    world.ctl.press(session_id, "1")
    view = world.ctl.wait_for_end(session_id, timeout=10)
    assert view.interactive and view.status == "COMPLETED"
    assert [e.key for e in view.entries if e.kind == "pressed"] == ["1"]
    assert world.backend.vca[0]["payload"]["eventData"] == {"dtmf": "1"}
    worlds.close()


def test_interactive_phone_hangs_up_live(
    serve_sim: Any, backend_server: tuple[Backend, str]
) -> None:
    url = serve_sim(SimulatorConfig(speed=20))
    worlds = make_world(url, backend_server)
    world = next(worlds)
    world.ctl.set_phone(CUSTOMER, interactive=True, ring_seconds=0)
    session_id = world.send(load_fixture("request_simple_ivr_initial.json")).json()["sessionId"]
    wait_until(
        lambda: any(e.kind == "spoken" for e in world.ctl.session(session_id, wait=1).entries)
    )
    world.ctl.hangup(session_id)
    view = world.ctl.wait_for_end(session_id, timeout=10)
    assert view.summary is not None
    assert view.summary.payload.last_action == "SAY_AND_CAPTURE"
    assert view.status == "COMPLETED" and world.backend.vca == []
    worlds.close()


def test_manual_clock_steps_a_call(serve_sim: Any, backend_server: tuple[Backend, str]) -> None:
    url = serve_sim(SimulatorConfig(clock=ManualTimeline()))
    worlds = make_world(url, backend_server)
    world = next(worlds)
    world.ctl.set_phone(CUSTOMER, press=["1"], ring_seconds=4)
    session_id = world.send(load_fixture("request_simple_ivr_initial.json")).json()["sessionId"]
    with pytest.raises(SimulatorTimeout):
        world.ctl.wait_for_end(session_id, timeout=0.3)  # time stands still
    assert world.ctl.session(session_id).entries[-1].kind == "leg"  # dialled, still ringing
    world.ctl.advance_clock(4)
    wait_until(lambda: any(e.kind == "spoken" for e in world.ctl.session(session_id).entries))
    for _ in range(20):
        world.ctl.advance_clock(5)
        if world.ctl.session(session_id).state == "ended":
            break
    view = world.ctl.wait_for_end(session_id, timeout=5)
    assert view.status == "COMPLETED"
    summary = view.summary
    assert summary is not None and summary.payload.legs["callA"].call_duration is not None
    assert summary.payload.legs["callA"].call_duration >= 10  # the prompt alone takes 10 s
    worlds.close()


def test_advancing_a_clock_that_is_not_manual_is_refused(world: World) -> None:
    assert world.ctl.clock()["mode"] == "max"
    with pytest.raises(SimulatorControlError) as refused:
        world.ctl.advance_clock(1)
    assert refused.value.http_status == 409


def test_unreachable_simulator_raises_a_control_error() -> None:
    from ivrkit._serving import free_port

    with SimulatorControl(f"http://127.0.0.1:{free_port()}") as ctl:
        with pytest.raises(SimulatorControlError, match="could not be reached"):
            ctl.sessions()
