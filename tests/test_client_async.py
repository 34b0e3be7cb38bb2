"""AsyncVoiceClient: the twin sends the same requests and reads answers the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from ivrkit.client import AsyncVoiceClient
from ivrkit.errors import (
    CallflowRejected,
    ConfigError,
    ServerError,
    TransportError,
    ValidationFailed,
)
from ivrkit.wire import hangup
from tests.conftest import load_fixture
from tests.test_client import API_KEY, PREFIX, SIMPLE_IVR, SUBACCOUNT, Api, reply, simple_ivr

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def aconnect(sleeps: list[float]) -> AsyncIterator[Callable[..., AsyncVoiceClient]]:
    made: list[AsyncVoiceClient] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    def build(api: Api, **options: Any) -> AsyncVoiceClient:
        options.setdefault("jitter", 0.0)
        client = AsyncVoiceClient(
            API_KEY, SUBACCOUNT, transport=httpx.MockTransport(api), sleep=record, **options
        )
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


async def test_send_callflow_posts_the_wire_body_and_parses_success(aconnect):
    api = Api(reply(200, "api_response_success_simple_ivr.json"))
    result = await aconnect(api).send_callflow(simple_ivr(), client_request_id="r-1")
    assert result.session_id == "d9874358-89ac-4c50-bbab-1eb634482a94"
    assert api.last.method == "POST"
    assert api.last.url.path == f"{PREFIX}/callflows"
    assert api.last.headers["Authorization"] == f"Bearer {API_KEY}"
    assert api.body() == {**load_fixture(SIMPLE_IVR), "clientRequestId": "r-1"}


async def test_every_operation_has_its_path(aconnect):
    api = Api(
        reply(200, "oas_webhook_list_response.json"),
        reply(200, "oas_webhook_create_response.json"),
        reply(200, "oas_webhook_delete_response.json"),
        reply(200, "oas_speech_profiles_response.json"),
        httpx.Response(200, json={"numbers": []}),
        httpx.Response(200, json={"statusCode": 0}),
    )
    client = aconnect(api)
    assert (await client.list_webhooks()).count == 1
    await client.create_webhook("VCA", "https://example.com/vca", enabled=False)
    assert (await client.delete_webhook("VSS")).status_message == "deleted"
    assert len((await client.speech_profiles()).speech_profiles) == 2
    await client.virtual_numbers()
    await client.virtual_number("6568888888")
    assert [(r.method, r.url.path.removeprefix(PREFIX)) for r in api.requests] == [
        ("GET", "/webhooks"),
        ("POST", "/webhooks"),
        ("DELETE", "/webhooks/VSS"),
        ("GET", "/speech-profiles"),
        ("GET", "/numbers"),
        ("GET", "/numbers/6568888888"),
    ]
    assert api.body(1) == {"type": "VCA", "url": "https://example.com/vca", "enabled": False}


async def test_rejection_is_typed(aconnect):
    api = Api(reply(422, "oas_api_response_422_minus1013.json"))
    with pytest.raises(CallflowRejected) as caught:
        await aconnect(api, max_retries=3).send_callflow(simple_ivr())
    assert caught.value.status_code == -1013
    assert caught.value.http_status == 422
    assert len(api.requests) == 1


async def test_retries_sleep_through_the_injected_sleep(aconnect, sleeps):
    api = Api(
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "2"}),
        reply(200, "oas_webhook_list_response.json"),
    )
    assert (await aconnect(api, backoff=0.5).list_webhooks()).count == 1
    assert sleeps == [0.5, 2.0]


async def test_server_error_after_retries(aconnect, sleeps):
    api = Api(reply(500, "oas_api_response_500.json"))
    with pytest.raises(ServerError):
        await aconnect(api, max_retries=2).speech_profiles()
    assert len(api.requests) == 3
    assert sleeps == [0.5, 1.0]


async def test_transport_error_after_retries(aconnect, sleeps):
    api = Api(httpx.ConnectError("refused"))
    with pytest.raises(TransportError, match="refused"):
        await aconnect(api, max_retries=1).list_webhooks()
    assert len(api.requests) == 2
    assert sleeps == [0.5]


async def test_async_context_manager_closes():
    async with AsyncVoiceClient(
        API_KEY, SUBACCOUNT, transport=httpx.MockTransport(Api())
    ) as client:
        assert not client._http.is_closed
    assert client._http.is_closed


async def test_missing_key_is_a_config_error():
    with pytest.raises(ConfigError, match="IVRKIT_API_KEY"):
        AsyncVoiceClient("", SUBACCOUNT)


async def test_local_validation_stops_a_bad_callflow(aconnect):
    api = Api(reply(200, "api_response_success_simple_ivr.json"))
    with pytest.raises(ValidationFailed) as caught:
        await aconnect(api).send_callflow([hangup()])
    assert caught.value.status_code == -1013
    assert api.requests == []


@pytest.mark.anyio
async def test_the_async_client_runs_against_the_simulator_in_process() -> None:
    from ivrkit.errors import CallflowRejected
    from ivrkit.simulator import create_simulator
    from ivrkit.wire import hangup

    transport = httpx.ASGITransport(app=create_simulator())
    async with AsyncVoiceClient(
        "key", "acme", base_url="http://simulator", transport=transport, validate=False
    ) as client:
        listing = await client.create_webhook("VCA", "http://127.0.0.1:9/webhooks/vca")
        assert [hook.type for hook in listing.webhooks] == ["VCA"]
        profiles = await client.speech_profiles()
        assert "en-US-BenjaminRUS" in {p.speech_profile_code for p in profiles.speech_profiles}
        with pytest.raises(CallflowRejected) as caught:
            await client.send_callflow([hangup()])
        assert caught.value.status_code == -1013
