"""The blocking Voice API client, on ``httpx.Client``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Self

import httpx

from ivrkit.client._base import (
    DEFAULT_BASE_URL,
    DEFAULT_JITTER,
    DEFAULT_MAX_DELAY,
    BaseVoiceClient,
    Retry,
)
from ivrkit.client._responses import Call, ModelT
from ivrkit.rules import Platform
from ivrkit.wire import (
    AnyAction,
    LogExportJob,
    LogExportStarted,
    NumberCheckResponse,
    RecordingPushConfig,
    RecordingPushConfigRequest,
    RecordingsResponse,
    SendCallflowRequest,
    SendCallflowResponse,
    SpeechProfilesResponse,
    VirtualNumbersResponse,
    WebhookDeleteResponse,
    WebhookListResponse,
    WebhookType,
)


class VoiceClient(BaseVoiceClient):
    """Blocking client of the 8x8 Voice API for one subaccount.

    Every method returns the answer's typed model or raises an :class:`ivrkit.errors.ApiError`
    (:class:`~ivrkit.errors.AuthenticationError` on 401, :class:`~ivrkit.errors.NotFoundError` on
    404, :class:`~ivrkit.errors.CallflowRejected` on a negative platform code,
    :class:`~ivrkit.errors.RateLimited` on 429, :class:`~ivrkit.errors.ServerError` on 5xx,
    :class:`~ivrkit.errors.TransportError` when the API cannot be reached).

    Retries: 429 and 5xx answers, connection failures and timeouts are tried again
    up to ``max_retries`` times, after ``backoff * 2**n`` seconds plus up to ``jitter`` of that
    at random, or after the answer's ``Retry-After`` seconds; no pause exceeds ``max_delay``.
    Validation answers (400, 401, 403, 404, 422) are never retried.

    Send Callflow places a call, so it is retried only where the platform certainly did not act
    (a connection that never opened, 429, 503): after 500, 502, 504 or a lost answer the call
    may already be ringing and the error is raised, saying so. ``retry_uncertain=True`` retries
    those too, accepting that a customer may be called twice.

    Callflows are checked with :func:`ivrkit.rules.check` before sending (``validate=False``
    turns that off), so a callflow the platform would refuse raises
    :class:`~ivrkit.errors.ValidationFailed` and nothing is sent.

    Threads may share one client (a campaign worker's senders do): it opens at most 100
    connections and keeps each for the next request.

    ``timeout`` bounds each wait for the network (connect is at most 5 s); ``transport`` replaces
    the network, e.g. ``httpx.MockTransport`` in tests; ``sleep`` replaces :func:`time.sleep`.
    """

    def __init__(
        self,
        api_key: str,
        subaccount: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_delay: float = DEFAULT_MAX_DELAY,
        jitter: float = DEFAULT_JITTER,
        validate: bool = True,
        platform: Platform | None = None,
        transport: httpx.BaseTransport | None = None,
        user_agent: str | None = None,
        retry_uncertain: bool = False,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        super().__init__(
            api_key,
            subaccount,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            max_delay=max_delay,
            jitter=jitter,
            validate=validate,
            platform=platform,
            user_agent=user_agent,
            retry_uncertain=retry_uncertain,
        )
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, **self._http_options())

    def _run(self, call: Call[ModelT]) -> ModelT:
        attempt = 0
        while True:
            try:
                response = self._http.request(call.method, call.path, json=call.json)
            except httpx.TransportError as error:
                outcome: ModelT | Retry = self._transport_outcome(call, error, attempt)
            else:
                outcome = self._outcome(call, response, attempt)
            if not isinstance(outcome, Retry):
                return outcome
            self._sleep(outcome.delay)
            attempt += 1

    def send_callflow(
        self,
        callflow: SendCallflowRequest | Sequence[AnyAction],
        *,
        valid_until: datetime | str | None = None,
        client_request_id: str | None = None,
    ) -> SendCallflowResponse:
        """Start an outbound session (``POST /callflows``); the first action must be makeCall.

        ``valid_until`` (a datetime is written in the platform's format) and
        ``client_request_id`` override the request's own. See the class docstring on retries.
        """
        return self._run(self._send_callflow_call(callflow, valid_until, client_request_id))

    def list_webhooks(self) -> WebhookListResponse:
        """The webhooks configured on the subaccount (``GET /webhooks``)."""
        return self._run(self._list_webhooks_call())

    def create_webhook(
        self,
        type: WebhookType | str,
        url: str,
        *,
        http_auth_header: str | None = None,
        enabled: bool = True,
    ) -> WebhookListResponse:
        """Set the webhook of one type (``POST /webhooks``); an existing one is replaced."""
        return self._run(self._create_webhook_call(type, url, http_auth_header, enabled))

    def delete_webhook(self, type: WebhookType | str) -> WebhookDeleteResponse:
        """Remove the webhook of one type (``DELETE /webhooks/{type}``)."""
        return self._run(self._delete_webhook_call(type))

    def speech_profiles(self) -> SpeechProfilesResponse:
        """The TTS voice profiles the account may use (``GET /speech-profiles``)."""
        return self._run(self._speech_profiles_call())

    def virtual_numbers(self) -> VirtualNumbersResponse:
        """The virtual numbers of the subaccount and their health (``GET /numbers``)."""
        return self._run(self._virtual_numbers_call())

    def virtual_number(self, number: str) -> NumberCheckResponse:
        """Check one virtual number (``GET /numbers/{number}``); a leading ``+`` is dropped.

        Raises :class:`~ivrkit.errors.NotFoundError` when it is not assigned to the subaccount.
        """
        return self._run(self._virtual_number_call(number))

    def recording_push_config(self) -> RecordingPushConfig:
        """Where recordings are pushed (``GET /recording-push-config``); the password is never
        returned, only ``password_set``. NotFoundError when none is set."""
        return self._run(self._recording_push_config_call())

    def set_recording_push_config(self, config: RecordingPushConfigRequest) -> RecordingPushConfig:
        """Set where recordings are pushed, S3 or SFTP (``POST /recording-push-config``)."""
        return self._run(self._set_recording_push_config_call(config))

    def delete_recording_push_config(self) -> RecordingPushConfig:
        """Remove the recording push config (``DELETE /recording-push-config``)."""
        return self._run(self._delete_recording_push_config_call())

    def recordings(self, session_id: str) -> RecordingsResponse:
        """The recordings of a session and their status (``GET /recordings/{sessionId}``)."""
        return self._run(self._recordings_call(session_id))

    def start_log_export(
        self,
        start: datetime | date | str | None = None,
        end: datetime | date | str | None = None,
        *,
        limit: int | None = None,
    ) -> LogExportStarted:
        """Start a CSV export of the call logs from ``start`` to ``end`` (platform defaults: the
        last 7 days); ``limit`` 0 means no limit (``POST /messages/exports``)."""
        return self._run(self._start_log_export_call(start, end, limit))

    def log_export(self, job_id: str) -> LogExportJob:
        """Poll an export job: ``status``, and once ``succeeded`` the download links
        (``GET /messages/exports/{jobId}``). NotFoundError for an unknown job."""
        return self._run(self._log_export_call(job_id))

    def cancel_log_export(self, job_id: str) -> None:
        """Cancel an export job (``DELETE /messages/exports/{jobId}``)."""
        self._run(self._cancel_log_export_call(job_id))

    def close(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
