"""Bad input to the simulator's REST surface gets a clear 4xx, never a 500: non-ASCII and
ambiguous credentials, NaN/Infinity, huge numbers, deep nesting, bytes that are not UTF-8."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ivrkit.simulator import SimulatorConfig
from tests.conftest import load_fixture
from tests.simulator.conftest import CUSTOMER, SUB, World

UNAUTHORIZED = {
    "statusCode": 401,
    "statusMessage": "Authentication header not found or token invalid",
}


@pytest.mark.parametrize(
    "headers",
    [
        [(b"authorization", "Bearer k3yé".encode())],
        [(b"authorization", b"Bearer \xff\xfe")],
        [(b"authorization", "Bearer ключ".encode())],
        [(b"authorization", b"Bearer k3y"), (b"authorization", b"Bearer k3y")],
    ],
    ids=["utf8-token", "latin1-bytes", "cyrillic", "two-headers"],
)
def test_odd_authorization_headers_are_401_in_the_platform_shape(
    serve_sim: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    url = serve_sim(SimulatorConfig(api_key="k3y"))
    with httpx.Client(base_url=f"{url}/api/v1/subaccounts/{SUB}", timeout=10) as client:
        for method, path in (("GET", "/webhooks"), ("GET", "/numbers")):
            response = client.request(method, path, headers=headers)
            assert response.status_code == 401, response.text
            assert response.json() == UNAUTHORIZED
        refused = client.post("/callflows", content=b"{}", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["statusCode"] == 401
        assert refused.json()["sessionStatus"] == "NOT_CREATED"
        good = client.get("/webhooks", headers={"Authorization": "Bearer k3y"})
        assert good.status_code == 200


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"hangupAfter": Infinity}', "Infinity is not a JSON number"),
        (b'{"hangupAfter": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"ringSeconds": NaN}', "NaN is not a JSON number"),
        (b'{"hangupAfter": 1e300}', "hangupAfter"),
        (b'{"hangupAfter": 1e400}', "hangupAfter"),
        (b'{"ringSeconds": 1e300}', "ringSeconds"),
        (b'{"pressDelay": 100000000000000000000000}', "pressDelay"),
        (b'{"press": ["' + b"1" * 5000 + b'"]}', "press"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"press": "\xff"}', "not UTF-8"),
    ],
)
def test_phone_scripts_that_cannot_be_run_are_refused_and_not_stored(
    world: World, content: bytes, says: str
) -> None:
    response = world.api.put(f"{world.url}/sim/v1/phones/{CUSTOMER}", content=content)
    assert says in _problem(response, 400)["detail"]
    listing = world.api.get(f"{world.url}/sim/v1/phones")
    assert listing.status_code == 200 and listing.json()["phones"] == []


def test_a_refused_field_is_named_in_the_problem(world: World) -> None:
    response = world.api.put(
        f"{world.url}/sim/v1/phones/{CUSTOMER}", json={"hangupAfter": 1e300, "answer": "maybe"}
    )
    fields = {error["field"] for error in _problem(response, 400)["errors"]}
    assert fields == {"hangupAfter", "answer"}


def test_the_longest_allowed_hangup_runs_a_normal_call(world: World) -> None:
    script = {"hangupAfter": 86400, "press": ["1"]}
    assert world.api.put(f"{world.url}/sim/v1/phones/{CUSTOMER}", json=script).status_code == 200
    view = world.call()
    assert view.status == "COMPLETED"
    assert world.summary(view.session_id)["payload"].get("errorDetails") is None


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/sim/v1/calls", b'{"from": "+6512345678", "to": ' + b"[" * 50_000),
        ("/sim/v1/clock/advance", b'{"seconds": 1e300}'),
        ("/sim/v1/clock/advance", b'{"seconds": NaN}'),
        ("/sim/v1/sessions/x/press", b'{"digits": Infinity}'),
    ],
)
def test_control_bodies_with_bad_numbers_or_nesting_are_400(
    world: World, path: str, content: bytes
) -> None:
    _problem(world.api.post(f"{world.url}{path}", content=content), 400)


@pytest.mark.parametrize("wait", ["nan", "inf", "abc"])
def test_a_session_wait_that_is_not_a_finite_number_is_400(world: World, wait: str) -> None:
    session_id = world.send(load_fixture("request_simple_ivr_initial.json")).json()["sessionId"]
    response = world.api.get(f"{world.url}/sim/v1/sessions/{session_id}?wait={wait}")
    _problem(response, 400)


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000,
        b'{"type": "VCA", "url": "https://e.com/vca", "enabled": NaN}',
        b'{"type": "VCA", "url": "https://e.com/\xff"}',
        b'{"type": "VCA", "url": "https://e.com/vca", "httpAuthHeader": "Basic x\\r\\nX-Evil: 1"}',
        b'{"type": "VCA", "url": "https://e.com/vca", "httpAuthHeader": "Basic \\u00e9t\\u00e9"}',
        b'{"type": "VCA", "url": "https://e.com/v\\u00e9"}',
    ],
)
def test_webhook_bodies_that_cannot_be_delivered_are_422(world: World, content: bytes) -> None:
    before = world.api.get("/webhooks").json()
    response = world.api.post("/webhooks", content=content)
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["statusCode"], str) and body["errorId"] and body["statusMessage"]
    assert world.api.get("/webhooks").json() == before


def test_a_deeply_nested_callflow_is_minus_1001(world: World) -> None:
    response = world.api.post("/callflows", content=b'{"callflow": ' + b"[" * 100_000)
    assert response.status_code == 400
    assert response.json()["statusCode"] == -1001


def test_a_deeply_nested_vca_answer_ends_the_call_as_an_invalid_answer(world: World) -> None:
    world.backend.answer = b'{"callflow": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    view = world.call(load_fixture("request_simple_ivr_initial.json"))
    summary = world.summary(view.session_id)["payload"]
    assert summary["errorDetails"]["errorCode"] == -2003
