"""VoiceClient: the requests it builds and how it reads the Voice API's answers (sync)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ivrkit.client import DEFAULT_BASE_URL, VoiceClient
from ivrkit.errors import (
    ApiError,
    AuthenticationError,
    CallflowRejected,
    ConfigError,
    NotFoundError,
    ServerError,
    ValidationFailed,
)
from ivrkit.rules import Platform
from ivrkit.wire import SendCallflowRequest, WebhookType, hangup, make_call, say
from tests.conftest import load_fixture

API_KEY = "test-key-123"
SUBACCOUNT = "acme_voice"
PREFIX = f"/api/v1/subaccounts/{SUBACCOUNT}"
SIMPLE_IVR = "request_simple_ivr_initial.json"

Reply = httpx.Response | Exception


class Api:
    """A scripted Voice API: answers in order (the last one repeats) and records every request."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies) or [httpx.Response(200, json={})]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def reply(status: int, fixture: str | None = None, **kwargs: Any) -> httpx.Response:
    if fixture is not None:
        kwargs["json"] = load_fixture(fixture)
    return httpx.Response(status, **kwargs)


def simple_ivr() -> SendCallflowRequest:
    return SendCallflowRequest.from_wire(load_fixture(SIMPLE_IVR))


@contextmanager
def client_factory(sleeps: list[float]) -> Iterator[Callable[..., VoiceClient]]:
    """Build clients on a scripted API (no jitter, sleeps recorded); all are closed afterwards."""
    made: list[VoiceClient] = []

    def build(api: Api, **options: Any) -> VoiceClient:
        options.setdefault("jitter", 0.0)
        client = VoiceClient(
            API_KEY,
            SUBACCOUNT,
            transport=httpx.MockTransport(api),
            sleep=sleeps.append,
            **options,
        )
        made.append(client)
        return client

    try:
        yield build
    finally:
        for client in made:
            client.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def connect(sleeps: list[float]) -> Iterator[Callable[..., VoiceClient]]:
    with client_factory(sleeps) as build:
        yield build


# -- requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invoke", "method", "path", "fixture"),
    [
        (lambda c: c.send_callflow(simple_ivr()), "POST", "/callflows", None),
        (lambda c: c.list_webhooks(), "GET", "/webhooks", "oas_webhook_list_response.json"),
        (
            lambda c: c.create_webhook("VCA", "https://example.com/vca"),
            "POST",
            "/webhooks",
            "oas_webhook_create_response.json",
        ),
        (
            lambda c: c.delete_webhook(WebhookType.VSS),
            "DELETE",
            "/webhooks/VSS",
            "oas_webhook_delete_response.json",
        ),
        (
            lambda c: c.speech_profiles(),
            "GET",
            "/speech-profiles",
            "oas_speech_profiles_response.json",
        ),
        (lambda c: c.virtual_numbers(), "GET", "/numbers", None),
        (lambda c: c.virtual_number("+6568888888"), "GET", "/numbers/6568888888", None),
    ],
)
def test_each_operation_uses_its_method_and_path_with_bearer_auth(
    connect, invoke, method, path, fixture
):
    body = (
        load_fixture(fixture) if fixture else load_fixture("api_response_success_simple_ivr.json")
    )
    api = Api(httpx.Response(200, json=body))
    invoke(connect(api))

    request = api.last
    assert request.method == method
    assert str(request.url) == f"{DEFAULT_BASE_URL}{PREFIX}{path}"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("ivrkit/")


def test_base_url_and_user_agent_are_configurable(connect):
    api = Api(reply(200, "oas_webhook_list_response.json"))
    connect(api, base_url="http://127.0.0.1:9000/", user_agent="my-ivr/2").list_webhooks()
    assert str(api.last.url) == f"http://127.0.0.1:9000{PREFIX}/webhooks"
    assert api.last.headers["User-Agent"] == "my-ivr/2"


def test_send_callflow_posts_the_camel_case_wire_body(connect):
    api = Api(reply(200, "api_response_success_simple_ivr.json"))
    connect(api).send_callflow(simple_ivr())
    assert api.last.headers["Content-Type"] == "application/json"
    assert api.body() == load_fixture(SIMPLE_IVR)


def test_send_callflow_takes_a_list_of_actions_and_request_fields(connect):
    api = Api(reply(200, "api_response_success_simple_ivr.json"))
    actions = [
        make_call("6512345678", "6561115777"),
        say("Hello", "en-US-BenjaminRUS"),
        hangup(),
    ]
    moment = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    connect(api).send_callflow(actions, valid_until=moment, client_request_id="order-42")

    body = api.body()
    assert [entry["action"] for entry in body["callflow"]] == ["makeCall", "say", "hangup"]
    assert body["callflow"][1]["params"]["voiceProfile"] == "en-US-BenjaminRUS"
    assert body["validUntil"] == "2030-01-02T03:04:05.678Z"
    assert body["clientRequestId"] == "order-42"


def test_send_callflow_arguments_override_the_requests_own_fields(connect):
    api = Api(reply(200, "api_response_success_simple_ivr.json"))
    request = simple_ivr().model_copy(update={"client_request_id": "old"})
    connect(api).send_callflow(
        request, valid_until="2031-05-06T07:08:09.000Z", client_request_id="new"
    )
    assert api.body()["clientRequestId"] == "new"
    assert api.body()["validUntil"] == "2031-05-06T07:08:09.000Z"
    assert request.client_request_id == "old"  # the caller's object is left alone


def test_create_webhook_sends_enabled_and_the_auth_header(connect):
    api = Api(reply(200, "oas_webhook_create_response.json"))
    client = connect(api)
    client.create_webhook(
        "VCA", "https://sample.com/test", http_auth_header="mdp1234", enabled=False
    )
    assert api.body() == load_fixture("oas_webhook_create_request.json")

    client.create_webhook(WebhookType.VSS, "https://example.com/vss")
    assert api.body() == {"type": "VSS", "url": "https://example.com/vss", "enabled": True}


def test_webhook_types_are_read_case_insensitively_and_unknown_ones_refused(connect):
    api = Api(reply(200, "oas_webhook_delete_response.json"))
    client = connect(api)
    client.delete_webhook("vca")
    assert api.last.url.path == f"{PREFIX}/webhooks/VCA"
    with pytest.raises(ValueError, match="VCA, VSS, VCS, VRU, VNU"):
        client.delete_webhook("SMS")
    assert len(api.requests) == 1


def test_timeouts_connect_five_seconds_and_the_rest_per_setting(connect):
    client = connect(Api(), timeout=12.5)
    timeout = client._http.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5.0, 12.5, 12.5, 12.5)
    assert connect(Api(), timeout=2.0)._http.timeout.connect == 2.0


# -- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_key", "subaccount", "names"),
    [
        ("", SUBACCOUNT, "IVRKIT_API_KEY"),
        ("   ", SUBACCOUNT, "IVRKIT_API_KEY"),
        (API_KEY, "", "IVRKIT_SUBACCOUNT"),
        (API_KEY, "a/b", "IVRKIT_SUBACCOUNT"),
    ],
)
def test_missing_or_bad_credentials_name_the_setting_to_fix(api_key, subaccount, names):
    with pytest.raises(ConfigError, match=names):
        VoiceClient(api_key, subaccount)


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"max_retries": -1}, {"backoff": -1.0}, {"base_url": "voice.8x8.com"}],
)
def test_impossible_options_are_config_errors(options):
    with pytest.raises(ConfigError):
        VoiceClient(API_KEY, SUBACCOUNT, **options)


def test_repr_never_shows_the_api_key(connect):
    client = connect(Api())
    assert API_KEY not in repr(client)
    assert SUBACCOUNT in repr(client)


def test_context_manager_closes_the_connection_pool():
    with VoiceClient(API_KEY, SUBACCOUNT, transport=httpx.MockTransport(Api())) as client:
        assert not client._http.is_closed
    assert client._http.is_closed


# -- successful answers ---------------------------------------------------------------------


def test_send_callflow_success_parses_the_vendor_answer(connect):
    result = connect(Api(reply(200, "api_response_success_simple_ivr.json"))).send_callflow(
        simple_ivr()
    )
    assert result.created
    assert result.session_id == "d9874358-89ac-4c50-bbab-1eb634482a94"
    assert result.call_flow_request_id == "89b545a5-0676-11ee-8100-d500c0d203fc"
    assert (result.status_code, result.status_message) == (1, "Created")


def test_webhook_answers_parse(connect):
    client = connect(
        Api(
            reply(200, "oas_webhook_list_response.json"),
            reply(200, "oas_webhook_create_response.json"),
            reply(200, "oas_webhook_delete_response.json"),
        )
    )
    listed = client.list_webhooks()
    assert listed.count == 1
    assert listed.webhooks[0].type == "VCA"
    assert listed.webhooks[0].http_auth_header_available is True

    created = client.create_webhook("VCA", "https://sample.com/test")
    assert created.webhooks[0].url == "https://sample.com/test"

    deleted = client.delete_webhook("VSS")
    assert (deleted.type, deleted.status_message, deleted.enabled) == ("VSS", "deleted", False)


def test_speech_profiles_parse(connect):
    profiles = connect(Api(reply(200, "oas_speech_profiles_response.json"))).speech_profiles()
    assert [p.speech_profile_code for p in profiles.speech_profiles] == [
        "en-US-Standard-A",
        "da-DK-Naja",
    ]
    assert profiles.speech_profiles[1].locale_code == "da-DK"


def test_virtual_number_answers_parse(connect):
    numbers = {
        "totalNumbers": 1,
        "numbers": [{"msisdn": "+6568888888", "countryCode": "SG", "operationalStatus": "Active"}],
        "statusCode": 0,
        "statusMessage": "ok",
    }
    check = {
        "statusCode": 0,
        "statusMessage": "ok",
        "payload": {"referenceId": "vn-ref-1", "msisdn": "+6568888888", "countryCode": "SG"},
    }
    client = connect(Api(httpx.Response(200, json=numbers), httpx.Response(200, json=check)))
    assert client.virtual_numbers().numbers[0].operational_status == "Active"
    result = client.virtual_number("6568888888")
    assert result.payload is not None
    assert result.payload.reference_id == "vn-ref-1"


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (httpx.Response(200, text="<html>hello</html>"), "not JSON"),
        (httpx.Response(200, json=[1, 2]), "not an object"),
        (httpx.Response(200, json={"sessionId": "x"}), "SendCallflowResponse"),
    ],
)
def test_a_200_of_the_wrong_shape_is_an_api_error(connect, response, says):
    with pytest.raises(ApiError, match=says) as caught:
        connect(Api(response)).send_callflow(simple_ivr())
    assert type(caught.value) is ApiError
    assert caught.value.http_status == 200


def test_a_200_that_created_no_session_is_a_rejection(connect):
    body = load_fixture("api_response_failure_minus1002_simple_ivr.json")
    with pytest.raises(CallflowRejected) as caught:
        connect(Api(httpx.Response(200, json=body))).send_callflow(simple_ivr())
    assert caught.value.status_code == -1002
    assert caught.value.request_id == "0564e804-0a7e-11ee-9c83-6df9c048a122"


# -- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "fixture", "error"),
    [
        (400, "oas_api_response_400_minus1007.json", CallflowRejected),
        (422, "oas_api_response_422_minus1013.json", CallflowRejected),
        (400, "api_response_failure_minus1002_simple_ivr.json", CallflowRejected),
        (401, "oas_api_response_401.json", AuthenticationError),
        (404, "oas_api_response_404_subaccount.json", NotFoundError),
        (500, "oas_api_response_500.json", ServerError),
    ],
)
def test_send_callflow_failures_raise_typed_errors_with_the_platforms_fields(
    connect, status, fixture, error
):
    body = load_fixture(fixture)
    with pytest.raises(error) as caught:
        connect(Api(reply(status, fixture)), max_retries=0).send_callflow(simple_ivr())
    failure = caught.value
    assert failure.http_status == status
    assert failure.status_code == body["statusCode"]
    assert failure.status_message == body["statusMessage"]
    assert failure.request_id == body["callFlowRequestId"]
    assert failure.call_flow_request_id == body["callFlowRequestId"]
    assert body["statusMessage"] in str(failure)
    assert body["callFlowRequestId"] in str(failure)
    assert API_KEY not in str(failure)


def test_rejection_message_says_what_the_platform_refused(connect):
    with pytest.raises(CallflowRejected) as caught:
        connect(Api(reply(400, "api_response_failure_minus1002_simple_ivr.json"))).send_callflow(
            simple_ivr()
        )
    assert str(caught.value) == (
        "The Voice API refused the callflow: -1002 Speech profile or language parameter invalid "
        "(request 0564e804-0a7e-11ee-9c83-6df9c048a122)"
    )


def test_authentication_error_points_at_the_api_key_setting(connect):
    with pytest.raises(AuthenticationError, match="IVRKIT_API_KEY"):
        connect(Api(reply(401, "oas_api_response_401.json"))).list_webhooks()


def test_not_found_names_what_was_missing(connect):
    body = {"statusCode": 404, "statusMessage": "Number not found", "timestamp": "t"}
    with pytest.raises(NotFoundError) as caught:
        connect(Api(httpx.Response(404, json=body))).virtual_number("6512345678")
    assert "virtual number 6512345678" in str(caught.value)
    assert "IVRKIT_SUBACCOUNT" in str(caught.value)
    assert caught.value.status_code == 404


def test_webhook_422_with_a_string_status_code_and_error_id(connect):
    body = {
        "errorId": "1aa1fc32-8e07-11ea-864e-1961d882f548",
        "statusCode": "1001",
        "statusMessage": "Invalid JSON request body",
        "timestamp": {},
    }
    with pytest.raises(ApiError) as caught:
        connect(Api(httpx.Response(422, json=body))).create_webhook("VCA", "https://x.test/")
    failure = caught.value
    assert type(failure) is ApiError
    assert (failure.http_status, failure.status_code) == (422, 1001)
    assert failure.status_message == "Invalid JSON request body"
    assert failure.request_id == "1aa1fc32-8e07-11ea-864e-1961d882f548"
    assert "create the VCA webhook" in str(failure)


def test_export_shaped_error_body_is_read(connect):
    body = load_fixture("oas_log_export_404_invalid_jobid.json")
    with pytest.raises(NotFoundError) as caught:
        connect(Api(httpx.Response(404, json=body))).list_webhooks()
    assert caught.value.status_code == body["code"]
    assert caught.value.status_message == body["message"]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(400, text="<html><body>Bad Request</body></html>"),
        httpx.Response(400, content=b"\xff\xfe\x00garbage"),
        httpx.Response(400),
        httpx.Response(400, json={"statusCode": None, "statusMessage": 7}),
        httpx.Response(400, json="just a string"),
    ],
)
def test_unreadable_error_bodies_never_crash(connect, response):
    with pytest.raises(ApiError) as caught:
        connect(Api(response)).send_callflow(simple_ivr())
    failure = caught.value
    assert type(failure) is ApiError  # no negative code: not a CallflowRejected
    assert failure.http_status == 400
    assert failure.status_code is None
    assert "HTTP 400" in str(failure)


def test_html_error_page_is_quoted_in_the_message(connect):
    page = "<html><body>502 Bad Gateway</body></html>"
    with pytest.raises(ServerError, match="502 Bad Gateway") as caught:
        connect(Api(httpx.Response(502, text=page)), max_retries=0).speech_profiles()
    assert caught.value.status_code is None


def test_403_is_an_api_error_about_access(connect):
    with pytest.raises(ApiError, match="may not list webhooks") as caught:
        connect(Api(httpx.Response(403, json={"statusCode": 403}))).list_webhooks()
    assert caught.value.http_status == 403


# -- local validation -----------------------------------------------------------------------


def test_a_callflow_the_platform_would_refuse_is_stopped_before_sending(connect):
    api = Api(reply(200, "api_response_success_simple_ivr.json"))
    with pytest.raises(ValidationFailed) as caught:
        connect(api).send_callflow([say("Hello", "en-US-BenjaminRUS"), hangup()])
    assert caught.value.status_code == -1013
    assert api.requests == []


def test_the_platform_settings_reach_the_rules(connect):
    api = Api(reply(200, "api_response_success_simple_ivr.json"))
    strict = Platform(voice_profiles=frozenset({"en-GB-Emma"}))
    with pytest.raises(ValidationFailed) as caught:
        connect(api, platform=strict).send_callflow(simple_ivr())
    assert caught.value.status_code == -1002
    assert api.requests == []


def test_validate_false_sends_the_callflow_anyway(connect):
    api = Api(reply(422, "oas_api_response_422_minus1013.json"))
    with pytest.raises(CallflowRejected) as caught:
        connect(api, validate=False).send_callflow([say("Hello", "en-US-BenjaminRUS")])
    assert caught.value.status_code == -1013
    assert len(api.requests) == 1
    assert api.body()["callflow"][0]["action"] == "say"


def test_local_validation_sees_valid_until(connect):
    api = Api(reply(200, "api_response_success_simple_ivr.json"))
    past = datetime(2001, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as caught:
        connect(api).send_callflow(simple_ivr(), valid_until=past)
    assert caught.value.status_code == -1015
    assert api.requests == []
