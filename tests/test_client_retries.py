"""VoiceClient retries: what is retried, how long it waits, and what it never retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from ivrkit.client import VoiceClient
from ivrkit.errors import (
    AuthenticationError,
    CallflowRejected,
    NotFoundError,
    RateLimited,
    ServerError,
    TransportError,
)
from tests.test_client import Api, client_factory, reply, simple_ivr

OK_LIST = "oas_webhook_list_response.json"
OK_SEND = "api_response_success_simple_ivr.json"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def connect(sleeps: list[float]) -> Iterator[Callable[..., VoiceClient]]:
    with client_factory(sleeps) as build:
        yield build


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 520])
def test_transient_answers_are_retried_with_exponential_backoff(connect, sleeps, status):
    api = Api(httpx.Response(status), httpx.Response(status), reply(200, OK_LIST))
    result = connect(api, backoff=0.5).list_webhooks()
    assert result.count == 1
    assert len(api.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_a_500_on_send_callflow_is_not_retried_because_the_call_may_be_ringing(connect, sleeps):
    api = Api(reply(500, "oas_api_response_500.json"))
    with pytest.raises(ServerError) as caught:
        connect(api, max_retries=3).send_callflow(simple_ivr())
    assert len(api.requests) == 1
    assert sleeps == []
    assert "may or may not have been placed" in str(caught.value)


@pytest.mark.parametrize("status", [429, 503])
def test_send_callflow_is_retried_when_the_platform_certainly_did_not_act(connect, sleeps, status):
    api = Api(
        httpx.Response(status, json={"statusCode": status, "statusMessage": "busy"}),
        reply(200, "api_response_success_simple_ivr.json"),
    )
    assert connect(api, max_retries=2).send_callflow(simple_ivr()).created
    assert len(api.requests) == 2


def test_server_error_after_every_retry(connect, sleeps):
    api = Api(reply(500, "oas_api_response_500.json"))
    with pytest.raises(ServerError) as caught:
        connect(api, max_retries=3, backoff=0.25, retry_uncertain=True).send_callflow(simple_ivr())
    assert len(api.requests) == 4
    assert sleeps == [0.25, 0.5, 1.0]
    failure = caught.value
    assert (failure.http_status, failure.status_code) == (500, 500)
    assert failure.request_id == "767ca1b8-3846-11ef-9e95-b903e2ed7273"
    assert "after 4 attempts" in str(failure)
    assert "may or may not have been placed" in str(failure)


def test_rate_limited_after_every_retry(connect, sleeps):
    api = Api(httpx.Response(429, json={"statusCode": 429, "statusMessage": "Too many requests"}))
    with pytest.raises(RateLimited) as caught:
        connect(api, max_retries=2).speech_profiles()
    assert len(api.requests) == 3
    assert len(sleeps) == 2
    assert caught.value.http_status == 429
    assert caught.value.status_message == "Too many requests"


def test_rate_limited_carries_the_retry_after_the_platform_asked_for(connect, sleeps):
    limited = httpx.Response(429, headers={"Retry-After": "7"}, json={"statusCode": 429})
    with pytest.raises(RateLimited) as caught:
        connect(Api(limited), max_retries=0).speech_profiles()
    assert caught.value.retry_after == 7.0
    with pytest.raises(RateLimited) as unnamed:
        connect(Api(httpx.Response(429)), max_retries=0).speech_profiles()
    assert unnamed.value.retry_after is None


def test_max_retries_zero_sends_once(connect, sleeps):
    api = Api(httpx.Response(503))
    with pytest.raises(ServerError, match="not retried"):
        connect(api, max_retries=0).list_webhooks()
    assert len(api.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "fixture", "error"),
    [
        (400, "oas_api_response_400_minus1007.json", CallflowRejected),
        (422, "oas_api_response_422_minus1013.json", CallflowRejected),
        (401, "oas_api_response_401.json", AuthenticationError),
        (404, "oas_api_response_404_subaccount.json", NotFoundError),
    ],
)
def test_validation_answers_are_never_retried(connect, sleeps, status, fixture, error):
    api = Api(reply(status, fixture), reply(200, OK_SEND))
    with pytest.raises(error):
        connect(api, max_retries=5).send_callflow(simple_ivr())
    assert len(api.requests) == 1
    assert sleeps == []


def test_retry_after_seconds_are_honoured(connect, sleeps):
    api = Api(httpx.Response(429, headers={"Retry-After": "7"}), reply(200, OK_LIST))
    connect(api, backoff=0.5).list_webhooks()
    assert sleeps == [7.0]


def test_retry_after_is_capped_by_max_delay(connect, sleeps):
    api = Api(httpx.Response(503, headers={"Retry-After": "3600"}), reply(200, OK_LIST))
    connect(api, max_delay=20.0).list_webhooks()
    assert sleeps == [20.0]


@pytest.mark.parametrize("header", ["soon", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "nan"])
def test_unusable_retry_after_falls_back_to_backoff(connect, sleeps, header):
    api = Api(httpx.Response(429, headers={"Retry-After": header}), reply(200, OK_LIST))
    connect(api, backoff=0.5).list_webhooks()
    assert sleeps == [0.5]


def test_backoff_is_capped_by_max_delay(connect, sleeps):
    api = Api(httpx.Response(500))
    with pytest.raises(ServerError):
        connect(api, max_retries=5, backoff=1.0, max_delay=5.0).list_webhooks()
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_stretches_each_pause_by_at_most_its_fraction(connect, sleeps):
    api = Api(httpx.Response(500))
    client = connect(api, max_retries=3, backoff=1.0, jitter=0.5)
    draws = iter([0.0, 1.0, 0.5])
    client._random = lambda: next(draws)
    with pytest.raises(ServerError):
        client.list_webhooks()
    assert sleeps == [1.0, 3.0, 5.0]


def test_default_jitter_keeps_pauses_within_bounds(connect, sleeps):
    api = Api(httpx.Response(500))
    with pytest.raises(ServerError):
        connect(api, max_retries=3, backoff=1.0, jitter=0.25).list_webhooks()
    for attempt, pause in enumerate(sleeps):
        assert 2**attempt <= pause <= 2**attempt * 1.25


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
)
def test_connection_failures_and_timeouts_are_retried(connect, sleeps, failure):
    api = Api(failure, reply(200, OK_LIST))
    assert connect(api).list_webhooks().count == 1
    assert len(api.requests) == 2
    assert sleeps == [0.5]


def test_transport_error_after_every_retry_keeps_the_cause(connect, sleeps):
    cause = httpx.ConnectError("connection refused")
    api = Api(cause)
    with pytest.raises(TransportError) as caught:
        connect(api, max_retries=2).send_callflow(simple_ivr())
    assert len(api.requests) == 3
    assert sleeps == [0.5, 1.0]
    failure = caught.value
    assert failure.__cause__ is cause
    assert failure.http_status is None
    assert "connection refused" in str(failure)
    assert "https://voice.8x8.com" in str(failure)
    assert "after 3 attempts" in str(failure)
    assert "may have been placed" not in str(failure)  # it never reached the platform


def test_read_timeout_on_send_callflow_warns_of_a_possible_call(connect):
    api = Api(httpx.ReadTimeout("read timed out"))
    with pytest.raises(TransportError, match="may have been placed"):
        connect(api, max_retries=0).send_callflow(simple_ivr())


def test_transport_failures_that_cannot_heal_are_not_retried(connect, sleeps):
    api = Api(httpx.UnsupportedProtocol("no such scheme"), reply(200, OK_LIST))
    with pytest.raises(TransportError):
        connect(api).list_webhooks()
    assert len(api.requests) == 1
    assert sleeps == []


def test_unknown_platform_error_on_a_500_is_a_server_error(connect, sleeps):
    body = {
        "sessionStatus": "NOT_CREATED",
        "statusCode": -9999,
        "statusMessage": "An unknown error",
    }
    api = Api(httpx.Response(500, json=body))
    with pytest.raises(ServerError) as caught:
        connect(api, max_retries=1, retry_uncertain=True).send_callflow(simple_ivr())
    assert caught.value.status_code == -9999
    assert len(api.requests) == 2
