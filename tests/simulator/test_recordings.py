"""Recordings: the push configuration, `callRecording` on makeCall, the recordings of a session,
and the VRU CALL_RECORDING_STATUS webhook, over real HTTP against the simulator."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ivrkit import wire
from tests.conftest import load_fixture
from tests.simulator.conftest import AGENT, CUSTOMER, World, wait_until

VOICE = "en-US-BenjaminRUS"


def _recorded_message(record: bool = True) -> dict[str, Any]:
    make_call: dict[str, Any] = {"source": AGENT, "destination": CUSTOMER}
    if record:
        make_call["callRecording"] = True
    return {
        "callflow": [
            {"action": "makeCall", "params": make_call},
            {"action": "say", "params": {"text": "x" * 150, "voiceProfile": VOICE}},
            {"action": "hangup"},
        ]
    }


def test_push_config_create_read_delete(world: World) -> None:
    assert world.api.get("/recording-push-config").status_code == 404
    request = load_fixture("recording_push_config_request.json")
    created = world.api.post("/recording-push-config", json=request)
    assert created.status_code == 200, created.text
    body = created.json()
    assert body == {
        "subAccountId": "acme_voice",
        "protocol": "S3",
        "host": "ap-southeast-2",
        "port": 13,
        "username": "myusername",
        "passwordSet": True,
        "path": "/my-recordings-path/",
        "statusCode": 0,
        "statusMessage": "ok",
    }
    assert "password" not in world.api.get("/recording-push-config").json()
    assert world.api.get("/recording-push-config").json() == body
    deleted = world.api.delete("/recording-push-config")
    assert deleted.status_code == 200 and deleted.json() == {**body, "delete": True}
    assert world.api.delete("/recording-push-config").status_code == 404
    assert world.api.get("/recording-push-config").json()["statusCode"] == 404


@pytest.mark.parametrize(
    ("content", "code", "where"),
    [
        (b"{", "1001", None),
        (b'{"protocol": "gopher", "host": "h"}', "1002", "protocol"),
        (b'{"protocol": "SFTP"}', "1002", "host"),
        (b'{"protocol": "SFTP", "host": "h", "port": 70000}', "1002", "port"),
        (b'{"protocol": "SFTP", "host": "h", "port": 1e400}', "1002", "port"),
        (b'{"protocol": "SFTP", "host": "h", "port": "22"}', "1002", "port"),
        (b'{"protocol": "SFTP", "host": "h", "path": null}', "1002", "path"),
    ],
)
def test_push_config_refusals_are_422_invalid_param(
    world: World, content: bytes, code: str, where: str | None
) -> None:
    response = world.api.post("/recording-push-config", content=content)
    assert response.status_code == 422
    body = response.json()
    assert body["statusCode"] == code and body["errorId"]
    if where:
        assert body["statusMessage"] == f"Invalid param: {where}"
    assert world.api.get("/recording-push-config").status_code == 404


def test_push_config_fields_the_platform_does_not_read_are_ignored(world: World) -> None:
    body = {"protocol": "SFTP", "host": "h", "colour": "red", "delete": True}
    answer = world.api.post("/recording-push-config", json=body)
    assert answer.status_code == 200
    assert "colour" not in answer.json() and "delete" not in answer.json()


def test_a_recorded_call_is_listed_uploaded_and_reported_to_vru(world: World) -> None:
    world.register("VRU", "/vru")
    sftp = {"protocol": "sftp", "host": "172.30.2.61", "port": 22, "path": "/calls/"}
    assert world.api.post("/recording-push-config", json=sftp).status_code == 200
    view = world.call(_recorded_message())
    wait_until(lambda: len(world.backend.vru) == 1)
    event = wire.parse_event(world.backend.vru[0])
    assert isinstance(event, wire.RecordingStatusEvent)
    payload = event.payload
    assert payload.session_id == view.session_id
    assert payload.status == "UPLOAD_COMPLETED"
    assert payload.duration_seconds == 10  # 150 characters at 15 per second
    assert payload.file_path is not None
    assert payload.file_path.startswith("172.30.2.61/calls/")
    assert f"/{view.session_id}/{payload.recording_id}_" in payload.file_path
    assert payload.file_path.endswith(".mp3")
    # the summary came first: the recording is processed after the call
    assert [e["eventType"] for e in (world.backend.vss[0], world.backend.vru[0])] == [
        "SESSION_SUMMARY",
        "CALL_RECORDING_STATUS",
    ]
    listing = world.api.get(f"/recordings/{view.session_id}")
    assert listing.status_code == 200
    body = wire.RecordingsResponse.model_validate(listing.json())
    assert (body.status_code, body.status_message) == (0, "ok")
    [recording] = body.recordings
    assert recording.recording_id == payload.recording_id
    assert recording.session_id == view.session_id
    assert recording.sub_account_id == "acme_voice"
    assert recording.status == "CALLBACK_COMPLETED"
    assert recording.duration == 10
    assert recording.external_file_url is not None
    assert recording.external_file_url.startswith("sftp://172.30.2.61:22/calls/")
    assert recording.start_recording_time is not None


def test_the_bridged_leg_is_recorded_from_when_it_answers(world: World) -> None:
    world.register("VRU", "/vru")
    world.api.post(
        "/recording-push-config", json=load_fixture("recording_push_config_request.json")
    )
    bridge = load_fixture("vca_response_action_makecall_call_recording.json")
    bridge["callflow"].append({"action": "hangup"})
    world.backend.answer = bridge
    world.ctl.set_phone(CUSTOMER, press=["1"])
    view = world.call()
    wait_until(lambda: len(world.backend.vru) == 1)
    summary = world.summary(view.session_id)["payload"]
    callee = summary["details"]["callB"]
    assert world.backend.vru[0]["payload"]["durationSeconds"] == callee["callDuration"] == 30
    [recording] = world.api.get(f"/recordings/{view.session_id}").json()["recordings"]
    assert recording["startRecordingTime"][:19] == callee["connectedTimestamp"][:19]


def test_without_a_push_config_the_upload_fails(world: World) -> None:
    world.register("VRU", "/vru")
    view = world.call(_recorded_message())
    wait_until(lambda: len(world.backend.vru) == 1)
    assert world.backend.vru[0]["payload"]["status"] == "UPLOAD_FAILED"
    assert "filePath" not in world.backend.vru[0]["payload"]
    [recording] = world.api.get(f"/recordings/{view.session_id}").json()["recordings"]
    assert recording["status"] == "UPLOAD_FAILED"
    assert "externalFileUrl" not in recording


def test_without_a_vru_webhook_the_recording_stays_uploaded(world: World) -> None:
    world.api.post(
        "/recording-push-config", json=load_fixture("recording_push_config_request.json")
    )
    view = world.call(_recorded_message())
    wait_until(
        lambda: (
            world.api.get(f"/recordings/{view.session_id}").json()["recordings"][0]["status"]
            == "UPLOAD_COMPLETED"
        )
    )
    [recording] = world.api.get(f"/recordings/{view.session_id}").json()["recordings"]
    assert recording["externalFileUrl"].startswith(
        "https://s3.ap-southeast-2.amazonaws.com/my-recordings-path/"
    )
    assert world.backend.vru == []


def test_a_call_without_callrecording_has_no_recordings(world: World) -> None:
    world.register("VRU", "/vru")
    world.api.post(
        "/recording-push-config", json=load_fixture("recording_push_config_request.json")
    )
    view = world.call(_recorded_message(record=False))
    answer = world.api.get(f"/recordings/{view.session_id}").json()
    assert answer == {"recordings": [], "statusCode": 0, "statusMessage": "ok"}
    assert world.backend.vru == []


def test_an_unanswered_recorded_call_records_nothing(world: World) -> None:
    world.register("VRU", "/vru")
    world.ctl.set_phone(CUSTOMER, answer="busy")
    view = world.call(_recorded_message())
    assert view.status == "BUSY"
    assert world.api.get(f"/recordings/{view.session_id}").json()["recordings"] == []


@pytest.mark.parametrize(
    "session_id", ["not-a-uuid", str(uuid.uuid4())], ids=["not-a-uuid", "a-uuid"]
)
def test_recordings_of_an_unknown_session_are_404(world: World, session_id: str) -> None:
    response = world.api.get(f"/recordings/{session_id}")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "statusMessage": f"Session not found : {session_id}",
    }
