"""The asyncio/trio Voice API client, on ``httpx.AsyncClient``; the twin of ``_sync``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Self

import anyio
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


class AsyncVoiceClient(BaseVoiceClient):
    """Async client of the 8x8 Voice API for one subaccount: :class:`VoiceClient`'s twin.

    Same methods, errors, local validation and retries (read :class:`VoiceClient` for why Send
    Callflow is not retried where the call may already be ringing). ``transport`` is an
    ``httpx.AsyncBaseTransport`` (``httpx.ASGITransport`` runs the
    simulator in process); ``sleep`` replaces :func:`anyio.sleep`, so it works under asyncio and
    trio. Close it with :meth:`aclose` or ``async with``.
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
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str | None = None,
        retry_uncertain: bool = False,
        sleep: Callable[[float], Awaitable[object]] = anyio.sleep,
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
        self._http = httpx.AsyncClient(transport=transport, **self._http_options())

    async def _run(self, call: Call[ModelT]) -> ModelT:
        attempt = 0
        while True:
            try:
                response = await self._http.request(call.method, call.path, json=call.json)
            except httpx.TransportError as error:
                outcome: ModelT | Retry = self._transport_outcome(call, error, attempt)
            else:
                outcome = self._outcome(call, response, attempt)
            if not isinstance(outcome, Retry):
                return outcome
            await self._sleep(outcome.delay)
            attempt += 1

    async def send_callflow(
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
        return await self._run(self._send_callflow_call(callflow, valid_until, client_request_id))

    async def list_webhooks(self) -> WebhookListResponse:
        """The webhooks configured on the subaccount (``GET /webhooks``)."""
        return await self._run(self._list_webhooks_call())

    async def create_webhook(
        self,
        type: WebhookType | str,
        url: str,
        *,
        http_auth_header: str | None = None,
        enabled: bool = True,
    ) -> WebhookListResponse:
        """Set the webhook of one type (``POST /webhooks``); an existing one is replaced."""
        return await self._run(self._create_webhook_call(type, url, http_auth_header, enabled))

    async def delete_webhook(self, type: WebhookType | str) -> WebhookDeleteResponse:
        """Remove the webhook of one type (``DELETE /webhooks/{type}``)."""
        return await self._run(self._delete_webhook_call(type))

    async def speech_profiles(self) -> SpeechProfilesResponse:
        """The TTS voice profiles the account may use (``GET /speech-profiles``)."""
        return await self._run(self._speech_profiles_call())

    async def virtual_numbers(self) -> VirtualNumbersResponse:
        """The virtual numbers of the subaccount and their health (``GET /numbers``)."""
        return await self._run(self._virtual_numbers_call())

    async def virtual_number(self, number: str) -> NumberCheckResponse:
        """Check one virtual number (``GET /numbers/{number}``); a leading ``+`` is dropped.

        Raises :class:`~ivrkit.errors.NotFoundError` when it is not assigned to the subaccount.
        """
        return await self._run(self._virtual_number_call(number))

    async def recording_push_config(self) -> RecordingPushConfig:
        """Where recordings are pushed (``GET /recording-push-config``); the password is never
        returned, only ``password_set``. NotFoundError when none is set."""
        return await self._run(self._recording_push_config_call())

    async def set_recording_push_config(
        self, config: RecordingPushConfigRequest
    ) -> RecordingPushConfig:
        """Set where recordings are pushed, S3 or SFTP (``POST /recording-push-config``)."""
        return await self._run(self._set_recording_push_config_call(config))

    async def delete_recording_push_config(self) -> RecordingPushConfig:
        """Remove the recording push config (``DELETE /recording-push-config``)."""
        return await self._run(self._delete_recording_push_config_call())

    async def recordings(self, session_id: str) -> RecordingsResponse:
        """The recordings of a session and their status (``GET /recordings/{sessionId}``)."""
        return await self._run(self._recordings_call(session_id))

    async def start_log_export(
        self,
        start: datetime | date | str | None = None,
        end: datetime | date | str | None = None,
        *,
        limit: int | None = None,
    ) -> LogExportStarted:
        """Start a CSV export of the call logs from ``start`` to ``end`` (platform defaults: the
        last 7 days); ``limit`` 0 means no limit (``POST /messages/exports``)."""
        return await self._run(self._start_log_export_call(start, end, limit))

    async def log_export(self, job_id: str) -> LogExportJob:
        """Poll an export job: ``status``, and once ``succeeded`` the download links
        (``GET /messages/exports/{jobId}``). NotFoundError for an unknown job."""
        return await self._run(self._log_export_call(job_id))

    async def cancel_log_export(self, job_id: str) -> None:
        """Cancel an export job (``DELETE /messages/exports/{jobId}``)."""
        await self._run(self._cancel_log_export_call(job_id))

    async def aclose(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
