"""What the sync and async clients share: settings, request building, and the retry decisions.

The twins only send (``httpx.Client`` or ``httpx.AsyncClient``) and sleep; every choice about a
request or an answer is made here, once.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx

from ivrkit import __version__, rules
from ivrkit.client._responses import (
    Call,
    ModelT,
    NoContent,
    error_for,
    parse_retry_after,
    parse_success,
)
from ivrkit.errors import ConfigError, TransportError
from ivrkit.wire import (
    AnyAction,
    LogExportJob,
    LogExportRequest,
    LogExportStarted,
    NumberCheckResponse,
    RecordingPushConfig,
    RecordingPushConfigRequest,
    RecordingsResponse,
    SendCallflowRequest,
    SendCallflowResponse,
    SpeechProfilesResponse,
    VirtualNumbersResponse,
    WebhookCreateRequest,
    WebhookDeleteResponse,
    WebhookListResponse,
    WebhookType,
    format_valid_until,
)

DEFAULT_BASE_URL = "https://voice.8x8.com"
DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection; ``timeout`` bounds every other wait."""
DEFAULT_MAX_DELAY = 30.0
"""Longest pause between two attempts, whatever the backoff or a Retry-After header asks for."""
DEFAULT_JITTER = 0.25
"""Each backoff pause is lengthened by up to this fraction, at random, so clients spread out."""
MAX_CONNECTIONS = 100
"""Connections one client opens at most, and keeps open between requests: as many as it may open.

httpx keeps 20 by default and its pool (httpcore 1.0) closes an idle connection above that
count while it may already be handed to a request waiting to start, so the request's socket is
closed under it (``ReadError: [Errno 9] Bad file descriptor``, or a read that waits out its
timeout). Threads sharing one client (a campaign worker's senders) above 20 hit that; a pool
that keeps every connection it opened never closes one but when the server does or it has
idled past keep-alive."""


def is_retryable(http_status: int) -> bool:
    """429 and 5xx answers are worth another attempt; 4xx validation answers never are."""
    return http_status == 429 or 500 <= http_status <= 599


_SUBACCOUNT = re.compile(r"^[A-Za-z0-9\-._&]{3,50}$")

# Failures where the request may never have left (connect) or the answer was lost (read).
_RETRY_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# Failures where the request certainly did not reach the platform.
_UNSENT_TRANSPORT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

logger = logging.getLogger("ivrkit.client")


def _user_agent() -> str:
    return f"ivrkit/{__version__} httpx/{httpx.__version__}"


@dataclass(frozen=True)
class Retry:
    """Try the call again after ``delay`` seconds."""

    delay: float


class BaseVoiceClient:
    """Settings and everything that is not I/O; see :class:`ivrkit.client.VoiceClient`."""

    def __init__(
        self,
        api_key: str,
        subaccount: str,
        *,
        base_url: str,
        timeout: float,
        max_retries: int,
        backoff: float,
        max_delay: float,
        jitter: float,
        validate: bool,
        platform: rules.Platform | None,
        user_agent: str | None,
        retry_uncertain: bool = False,
    ) -> None:
        api_key = (api_key or "").strip()
        subaccount = (subaccount or "").strip()
        if not api_key:
            raise ConfigError(
                "No Voice API key: set IVRKIT_API_KEY (or pass api_key=...); "
                "keys are made at https://connect.8x8.com."
            )
        if not subaccount:
            raise ConfigError("No subaccount: set IVRKIT_SUBACCOUNT (or pass subaccount=...).")
        if not _SUBACCOUNT.match(subaccount):
            raise ConfigError(
                f"{subaccount!r} is not an 8x8 subaccount id (3-50 letters, digits or -._&): "
                "check IVRKIT_SUBACCOUNT."
            )
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"The base URL {base_url!r} must start with https:// or http://.")
        if not timeout > 0:
            raise ConfigError(f"timeout must be a positive number of seconds, not {timeout!r}.")
        if max_retries < 0:
            raise ConfigError(f"max_retries must be 0 or more, not {max_retries!r}.")
        if backoff < 0 or max_delay < 0 or jitter < 0:
            raise ConfigError("backoff, max_delay and jitter must not be negative.")
        self.subaccount = subaccount
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_delay = max_delay
        self.jitter = jitter
        self.validate = validate
        self.platform = platform
        self.retry_uncertain = retry_uncertain
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": user_agent or _user_agent(),
        }
        self._timeout = httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout))
        self._random: Callable[[], float] = random.random

    def __repr__(self) -> str:  # never shows the API key
        return f"{type(self).__name__}(subaccount={self.subaccount!r}, base_url={self.base_url!r})"

    def _http_options(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "headers": self._headers,
            "timeout": self._timeout,
            "follow_redirects": False,
            "limits": httpx.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
            ),
        }

    # -- requests ---------------------------------------------------------------------------

    def _path(self, *parts: str) -> str:
        segments = [quote(part, safe="") for part in (self.subaccount, *parts)]
        return "/api/v1/subaccounts/" + "/".join(segments)

    @property
    def _owner(self) -> str:
        return f"subaccount {self.subaccount!r}"

    def _send_callflow_call(
        self,
        callflow: SendCallflowRequest | Sequence[AnyAction],
        valid_until: datetime | str | None,
        client_request_id: str | None,
    ) -> Call[SendCallflowResponse]:
        request = build_send_request(callflow, valid_until, client_request_id)
        if self.validate:
            rules.check(request, mode=rules.Mode.REQUEST, platform=self.platform)
        return Call(
            "POST",
            self._path("callflows"),
            SendCallflowResponse,
            action="send the callflow",
            subject=self._owner,
            json=request.to_wire(),
            places_call=True,
        )

    def _list_webhooks_call(self) -> Call[WebhookListResponse]:
        return Call(
            "GET", self._path("webhooks"), WebhookListResponse, "list webhooks", self._owner
        )

    def _create_webhook_call(
        self, type: WebhookType | str, url: str, http_auth_header: str | None, enabled: bool
    ) -> Call[WebhookListResponse]:
        kind = webhook_type(type)
        fields: dict[str, Any] = {"type": kind, "url": url, "enabled": enabled}
        if http_auth_header is not None:
            fields["http_auth_header"] = http_auth_header
        body = WebhookCreateRequest.model_validate(fields).to_wire()
        return Call(
            "POST",
            self._path("webhooks"),
            WebhookListResponse,
            f"create the {kind} webhook",
            self._owner,
            json=body,
        )

    def _delete_webhook_call(self, type: WebhookType | str) -> Call[WebhookDeleteResponse]:
        kind = webhook_type(type)
        return Call(
            "DELETE",
            self._path("webhooks", kind.value),
            WebhookDeleteResponse,
            f"delete the {kind} webhook",
            f"a {kind} webhook on {self._owner}",
        )

    def _speech_profiles_call(self) -> Call[SpeechProfilesResponse]:
        return Call(
            "GET",
            self._path("speech-profiles"),
            SpeechProfilesResponse,
            "list speech profiles",
            self._owner,
        )

    def _virtual_numbers_call(self) -> Call[VirtualNumbersResponse]:
        return Call(
            "GET",
            self._path("numbers"),
            VirtualNumbersResponse,
            "list virtual numbers",
            self._owner,
        )

    def _virtual_number_call(self, number: str) -> Call[NumberCheckResponse]:
        digits = number.strip().removeprefix("+")
        if not digits:
            raise ValueError("A virtual number is needed, e.g. '6568888888'.")
        return Call(
            "GET",
            self._path("numbers", digits),
            NumberCheckResponse,
            f"check virtual number {digits}",
            f"virtual number {digits} on {self._owner}",
        )

    def _recording_push_config_call(self) -> Call[RecordingPushConfig]:
        return Call(
            "GET",
            self._path("recording-push-config"),
            RecordingPushConfig,
            "read the recording push config",
            f"a recording push config on {self._owner}",
        )

    def _set_recording_push_config_call(
        self, config: RecordingPushConfigRequest
    ) -> Call[RecordingPushConfig]:
        return Call(
            "POST",
            self._path("recording-push-config"),
            RecordingPushConfig,
            "set the recording push config",
            self._owner,
            json=config.to_wire(),
        )

    def _delete_recording_push_config_call(self) -> Call[RecordingPushConfig]:
        return Call(
            "DELETE",
            self._path("recording-push-config"),
            RecordingPushConfig,
            "delete the recording push config",
            f"a recording push config on {self._owner}",
        )

    def _recordings_call(self, session_id: str) -> Call[RecordingsResponse]:
        session_id = session_id.strip()
        if not session_id:
            raise ValueError("A session id is needed (the sessionId of Send Callflow's answer).")
        return Call(
            "GET",
            self._path("recordings", session_id),
            RecordingsResponse,
            f"list the recordings of session {session_id}",
            f"session {session_id} on {self._owner}",
        )

    def _start_log_export_call(
        self,
        start: datetime | date | str | None,
        end: datetime | date | str | None,
        limit: int | None,
    ) -> Call[LogExportStarted]:
        fields: dict[str, Any] = {
            "from": export_time(start),
            "to": export_time(end),
            "limit": limit,
        }
        body = LogExportRequest.model_validate({k: v for k, v in fields.items() if v is not None})
        return Call(
            "POST",
            self._path("messages", "exports"),
            LogExportStarted,
            "start a log export",
            self._owner,
            json=body.to_wire(),
        )

    def _log_export_call(self, job_id: str) -> Call[LogExportJob]:
        return Call(
            "GET",
            self._path("messages", "exports", _job(job_id)),
            LogExportJob,
            f"read log export {job_id}",
            f"log export job {job_id} on {self._owner}",
        )

    def _cancel_log_export_call(self, job_id: str) -> Call[NoContent]:
        return Call(
            "DELETE",
            self._path("messages", "exports", _job(job_id)),
            NoContent,
            f"cancel log export {job_id}",
            f"log export job {job_id} on {self._owner}",
            no_content=True,
        )

    # -- answers and retries ----------------------------------------------------------------

    def _delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Pause before attempt ``attempt + 1``: Retry-After when the server gave one, else
        ``backoff * 2**attempt`` stretched by up to ``jitter``; never above ``max_delay``."""
        asked = parse_retry_after(retry_after)
        if asked is not None:
            return min(asked, self.max_delay)
        pause = self.backoff * 2.0**attempt * (1 + self.jitter * self._random())
        return min(pause, self.max_delay)

    def _outcome(
        self, call: Call[ModelT], response: httpx.Response, attempt: int
    ) -> ModelT | Retry:
        """The model of a success, a :class:`Retry`, or (raised) the typed error."""
        status = response.status_code
        if 200 <= status < 300:
            return parse_success(call, response)
        if is_retryable(status) and attempt < self.max_retries and self._may_retry(call, status):
            delay = self._delay(attempt, response.headers.get("Retry-After"))
            self._log_retry(call, f"HTTP {status}", attempt, delay)
            return Retry(delay)
        raise error_for(call, response, attempts=attempt + 1)

    def _transport_outcome(
        self, call: Call[Any], error: httpx.TransportError, attempt: int
    ) -> Retry:
        """A :class:`Retry` after a connection failure or timeout, or (raised) TransportError."""
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        retryable = isinstance(error, _RETRY_TRANSPORT_ERRORS) and attempt < self.max_retries
        if retryable and self._may_retry(call, error=error):
            delay = self._delay(attempt)
            self._log_retry(call, reason, attempt, delay)
            return Retry(delay)
        tried = f" after {attempt + 1} attempts" if attempt else ""
        hint = ""
        if call.places_call and not isinstance(error, _UNSENT_TRANSPORT_ERRORS):
            hint = (
                " The request may have reached the platform, so the call may have been placed;"
                " check the session summary before sending it again."
            )
        raise TransportError(
            f"Could not reach the Voice API at {self.base_url} to {call.action} ({reason})"
            f"{tried}. Check the network and the base URL (IVRKIT_API_BASE).{hint}"
        ) from error

    def _may_retry(
        self, call: Call[Any], status: int | None = None, *, error: Exception | None = None
    ) -> bool:
        """Whether trying again cannot ring the customer twice.

        A request that places a call is tried again only when the platform certainly did not
        act on it: a connection that never opened, 429 (rate limited) or 503 (unavailable).
        After 500, 502, 504 or a lost answer the call may already be ringing, so the error is
        raised instead, unless the client was made with ``retry_uncertain=True``.
        """
        if not call.places_call or self.retry_uncertain:
            return True
        if status is not None:
            return status in (429, 503)
        return isinstance(error, _UNSENT_TRANSPORT_ERRORS)

    def _log_retry(self, call: Call[Any], reason: str, attempt: int, delay: float) -> None:
        logger.warning(
            "Voice API: %s failed (%s); retry %d of %d in %.2f s",
            call.action,
            reason,
            attempt + 1,
            self.max_retries,
            delay,
        )


def webhook_type(value: WebhookType | str) -> WebhookType:
    """``value`` as a :class:`WebhookType`, case-insensitively; ValueError names the choices."""
    try:
        return WebhookType(value.upper() if isinstance(value, str) else value)
    except ValueError:
        choices = ", ".join(kind.value for kind in WebhookType)
        raise ValueError(f"{value!r} is not a webhook type; use one of {choices}.") from None


def export_time(value: datetime | date | str | None) -> str | None:
    """A log export's `from`/`to`: a date as ``2020-07-01``, a datetime as
    ``2020-07-01T13:00:00Z`` (UTC) or with its offset; a naive datetime is taken as UTC."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.utcoffset() == UTC.utcoffset(None):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.replace(microsecond=0).isoformat()


def _job(job_id: str) -> str:
    job_id = job_id.strip()
    if not job_id:
        raise ValueError("A log export job id is needed (the jobId start_log_export returned).")
    return job_id


def build_send_request(
    callflow: SendCallflowRequest | Sequence[AnyAction],
    valid_until: datetime | str | None = None,
    client_request_id: str | None = None,
) -> SendCallflowRequest:
    """The Send Callflow body; ``valid_until`` and ``client_request_id`` win over the request's."""
    if isinstance(callflow, SendCallflowRequest):
        request = callflow
    elif isinstance(callflow, str | bytes | Mapping):
        raise TypeError("callflow must be a SendCallflowRequest or a sequence of actions.")
    else:
        request = SendCallflowRequest(callflow=list(callflow))
    update: dict[str, Any] = {}
    if valid_until is not None:
        if isinstance(valid_until, datetime):
            valid_until = format_valid_until(valid_until)
        update["valid_until"] = valid_until
    if client_request_id is not None:
        update["client_request_id"] = client_request_id
    return request.model_copy(update=update) if update else request
