"""The Voice REST surface: auth, subaccount, validation codes, webhooks, numbers, profiles, and
conformance of every served answer with the vendor's OpenAPI document."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from ivrkit.simulator import SimulatorConfig
from tests.conftest import SPEC_DIR, load_fixture
from tests.simulator.conftest import SECRET, SUB, World

OPENAPI: dict[str, Any] = json.loads((SPEC_DIR / "voice_v1_api.json").read_text())
PREFIX = "/api/v1/subaccounts/{subAccountId}"
MAKE_CALL = {"action": "makeCall", "params": {"source": "6561115777", "destination": "6512345678"}}
TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = OPENAPI
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema


def conforms(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Problems of ``value`` against an OpenAPI schema: types, required keys, nested shapes."""
    schema = _resolve(schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null"]
    problems: list[str] = []
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind is not None:
        expected = TYPES[kind]
        if isinstance(value, bool) and kind in ("integer", "number"):
            return [f"{where}: boolean where {kind} expected"]
        if not isinstance(value, expected):
            return [f"{where}: {type(value).__name__} where {kind} expected"]
    if isinstance(value, dict):
        problems += [
            f"{where}.{key}: missing" for key in schema.get("required", []) if key not in value
        ]
        for key, sub in schema.get("properties", {}).items():
            if key in value and isinstance(sub, dict):
                problems += conforms(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += conforms(item, schema["items"], f"{where}[{index}]")
    return problems


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    operation = OPENAPI["paths"][PREFIX + path][method]
    content = operation["responses"][str(status)]["content"]["application/json"]
    return _resolve(content["schema"])


def test_the_checker_itself_catches_problems() -> None:
    schema = response_schema("/callflows", "post", 200)
    assert conforms({"statusCode": 1}, schema)  # required keys missing
    assert conforms({**load_fixture("oas_api_response_200.json"), "statusCode": "1"}, schema)
    assert conforms(load_fixture("oas_api_response_200.json"), schema) == []


def test_every_served_operation_conforms_to_the_openapi_document(world: World) -> None:
    world.register("VCS", "/vcs", httpAuthHeader="x")
    checks: list[tuple[str, str, int, httpx.Response]] = [
        ("/callflows", "post", 200, world.send(load_fixture("request_simple_ivr_initial.json"))),
        ("/callflows", "post", 400, world.send({"callflow": [{"action": "dance"}]})),
        ("/callflows", "post", 422, world.send({"callflow": [{"action": "hangup"}]})),
        ("/webhooks", "get", 200, world.api.get("/webhooks")),
        ("/webhooks", "post", 200, world.register("VCS", "/vcs")),
        ("/webhooks", "post", 422, world.api.post("/webhooks", content=b"{")),
        ("/webhooks/{webhook-type}", "delete", 200, world.api.delete("/webhooks/VCS")),
        ("/speech-profiles", "get", 200, world.api.get("/speech-profiles")),
        ("/numbers", "get", 200, world.api.get("/numbers")),
        ("/numbers/{number}", "get", 200, world.api.get("/numbers/6561115777")),
        ("/numbers/{number}", "get", 404, world.api.get("/numbers/6500000000")),
    ]
    for path, method, status, response in checks:
        assert response.status_code == status, (path, method, response.text)
        problems = conforms(response.json(), response_schema(path, method, status))
        assert problems == [], (path, method, status, problems)


def test_send_callflow_success_body(world: World) -> None:
    response = world.send(load_fixture("request_simple_ivr_initial.json"))
    body = response.json()
    assert response.status_code == 200
    assert (body["statusCode"], body["statusMessage"], body["sessionStatus"]) == (
        1,
        "Created",
        "CREATED",
    )
    assert body["sessionId"] != body["callFlowRequestId"]
    assert [s.session_id for s in world.ctl.sessions()] == [body["sessionId"]]


@pytest.mark.parametrize(
    ("body", "http", "code"),
    [
        (b"{not json", 400, -1001),
        ({"callflow": [{"action": "dance"}]}, 400, -1007),
        ({"callflow": [MAKE_CALL, {"action": "say", "params": {"text": "hi"}}]}, 422, -1002),
        ({"callflow": [{"action": "hangup"}]}, 422, -1013),
    ],
)
def test_send_callflow_refusals(world: World, body: Any, http: int, code: int) -> None:
    if isinstance(body, bytes):
        response = world.api.post("/callflows", content=body)
    else:
        response = world.send(body)
    assert (response.status_code, response.json()["statusCode"]) == (http, code)
    assert response.json()["sessionStatus"] == "NOT_CREATED"
    assert "sessionId" not in response.json()
    assert world.ctl.sessions() == []


def test_capture_without_a_vca_webhook_is_refused_1004(world: World) -> None:
    world.api.delete("/webhooks/VCA")
    response = world.send(load_fixture("request_simple_ivr_initial.json"))
    assert (response.status_code, response.json()["statusCode"]) == (422, -1004)


def test_api_key_and_subaccount(serve_sim: Any) -> None:
    url = serve_sim(SimulatorConfig(api_key="k3y", subaccount=SUB))
    request = load_fixture("request_vm_tts_template.json")
    request.pop("validUntil", None)
    with httpx.Client(base_url=url, timeout=10) as client:
        path = f"/api/v1/subaccounts/{SUB}/callflows"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "k3y"}):
            refused = client.post(path, json=request, headers=headers)
            assert refused.status_code == 401
            body = refused.json()
            assert (body["statusCode"], body["statusMessage"]) == (
                401,
                "Authentication header not found or token invalid",
            )
        listing = client.get(f"/api/v1/subaccounts/{SUB}/webhooks")
        assert listing.status_code == 401 and listing.json()["statusCode"] == 401
        good = {"Authorization": "Bearer k3y"}
        other = client.post(
            "/api/v1/subaccounts/someone_else/callflows", json=request, headers=good
        )
        assert other.status_code == 404
        assert other.json()["statusMessage"] == "SubAccount not found by Id : someone_else"
        assert other.json()["statusCode"] == 404
        accepted = client.post(path, json=request, headers=good)
        assert accepted.status_code == 200, accepted.text


def test_webhooks_create_list_replace_delete(world: World) -> None:
    guide = load_fixture("webhook_config_create_vca_request_setup_guide.json")
    guide["url"] = "https://example.com/vca"
    created = world.api.post("/webhooks", json=guide).json()  # `active`, not `enabled`
    assert created["statusCode"] == 0 and created["statusMessage"] == "ok"
    vca = [hook for hook in created["webhooks"] if hook["type"] == "VCA"]
    assert vca == [
        {
            "type": "VCA",
            "url": "https://example.com/vca",
            "enabled": True,
            "httpAuthHeaderAvailable": False,
        }
    ]
    listing = world.api.get("/webhooks").json()
    assert listing["count"] == len(listing["webhooks"]) == 2  # VCA replaced, VSS kept
    assert SECRET not in json.dumps(listing)
    vss = next(hook for hook in listing["webhooks"] if hook["type"] == "VSS")
    assert vss["httpAuthHeaderAvailable"] is True
    disabled = world.api.post("/webhooks", json=load_fixture("oas_webhook_create_request.json"))
    assert next(h for h in disabled.json()["webhooks"] if h["type"] == "VCA")["enabled"] is False
    deleted = world.api.delete("/webhooks/VSS").json()
    assert (deleted["type"], deleted["statusMessage"], deleted["statusCode"]) == (
        "VSS",
        "deleted",
        0,
    )
    assert "httpAuthHeader" not in deleted
    assert world.api.delete("/webhooks/VSS").status_code == 404
    assert world.api.get("/webhooks").json()["count"] == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"type": "XYZ", "url": "https://e.com"}',
        b'{"type": "VCA", "url": "ftp://e.com"}',
        b'{"type": "VCA", "url": "https://e.com", "enabled": 0}',
        b'{"type": "VCA", "url": "https://e.com", "enabled": "false"}',
    ],
)
def test_webhook_create_refusals(world: World, body: bytes) -> None:
    response = world.api.post("/webhooks", content=body)
    assert response.status_code == 422
    assert isinstance(response.json()["statusCode"], str)
    assert response.json()["errorId"]


def test_speech_profiles_and_numbers(world: World) -> None:
    profiles = world.api.get("/speech-profiles").json()["speechProfiles"]
    codes = {profile["speechProfileCode"] for profile in profiles}
    assert {"en-US-BenjaminRUS", "da-DK-Naja"} <= codes
    naja = next(p for p in profiles if p["speechProfileCode"] == "da-DK-Naja")
    assert (naja["localeCode"], naja["localeDescription"]) == ("da-DK", "Danish")
    numbers = world.api.get("/numbers").json()
    assert numbers["totalNumbers"] == 2
    assert numbers["numbers"][0]["msisdn"] == "+6561115777"
    assert numbers["numbers"][0]["referenceId"] == "virtual-number-trunk-01"
    one = world.api.get("/numbers/6561115777").json()
    assert one["payload"] == {
        "referenceId": "virtual-number-trunk-01",
        "msisdn": "+6561115777",
        "countryCode": "SG",
    }
    assert world.api.get("/numbers/6500000000").status_code == 404


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/webhooks", {"GET", "POST"}),
        ("/recording-push-config", {"GET", "POST", "DELETE"}),
        ("/messages/exports/some-job", {"GET", "DELETE"}),
    ],
)
def test_a_wrong_method_is_405_naming_every_method_of_the_path(
    world: World, path: str, allowed: set[str]
) -> None:
    response = world.api.request("PATCH", path)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) - {"HEAD"} == allowed
