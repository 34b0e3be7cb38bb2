"""Answers of the Voice REST API and the bodies of its configuration requests.

Answers are parsed leniently (the platform adds fields); requests are strict.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, StrictBool, StrictInt, field_validator

from ivrkit.wire._base import Inbound, Outbound


class SessionCreation(StrEnum):
    CREATED = "CREATED"
    NOT_CREATED = "NOT_CREATED"


class SendCallflowResponse(Inbound):
    """Answer to Send Callflow: `statusCode` 1 and a `sessionId` on success, else a negative code
    (or 401/404/500) with `sessionStatus` NOT_CREATED."""

    status_code: int
    status_message: str
    session_status: str | None = None
    session_id: str | None = None
    call_flow_request_id: str | None = None
    valid_until: str | None = None

    @property
    def created(self) -> bool:
        return self.status_code == 1 and self.session_status == SessionCreation.CREATED


class WebhookType(StrEnum):
    VCA = "VCA"
    VSS = "VSS"
    VCS = "VCS"
    VRU = "VRU"
    VNU = "VNU"


class WebhookCreateRequest(Outbound):
    """Body of ``POST /webhooks``. The guides say `active` where the schema says `enabled` (A24);
    ivrkit sends `enabled` and accepts either."""

    type: WebhookType
    url: str
    http_auth_header: str | None = None
    enabled: StrictBool | None = None
    active: StrictBool | None = None

    @property
    def is_enabled(self) -> bool:
        for flag in (self.enabled, self.active):
            if flag is not None:
                return flag
        return True


class WebhookInfo(Inbound):
    type: str
    url: str
    enabled: bool = True
    http_auth_header_available: bool = False


class WebhookListResponse(Inbound):
    """Answer to listing (and creating) webhooks."""

    sub_account_id: str | None = None
    count: int = 0
    webhooks: list[WebhookInfo] = Field(default_factory=list)
    status_code: int | str | None = None
    status_message: str | None = None


class WebhookDeleteResponse(Inbound):
    sub_account_id: str | None = None
    type: str
    url: str | None = None
    enabled: bool | None = None
    http_auth_header_available: bool | None = None
    status_code: int | str | None = None
    status_message: str | None = None


class ApiErrorBody(Inbound):
    """Error body of the configuration endpoints; `statusCode` is a string there (A26)."""

    status_code: int | str | None = None
    status_message: str | None = None
    error_id: str | None = None
    timestamp: object | None = None


class SpeechProfile(Inbound):
    speech_profile_code: str
    locale_code: str | None = None
    locale_description: str | None = None
    gender: str | None = None


class SpeechProfilesResponse(Inbound):
    speech_profiles: list[SpeechProfile] = Field(default_factory=list)
    status_code: int | None = None
    status_message: str | None = None


class NumberHealth(Inbound):
    is_healthy: bool | None = None
    status: str | None = None
    last_checked_time: str | None = None


class VirtualNumber(Inbound):
    msisdn: str
    country_code: str | None = None
    operational_status: str | None = None
    reference_id: str | None = None
    date_created: str | None = None
    date_updated: str | None = None
    rental_price: float | None = None
    incoming_rate: float | None = None
    billing_unit: int | None = None
    billing_currency: str | None = None
    uri: str | None = None
    number_type: str | None = None
    number_health_check_enabled: bool | None = None
    number_health: NumberHealth | None = None


class VirtualNumbersResponse(Inbound):
    total_numbers: int | None = None
    last_updated_at: str | None = None
    numbers: list[VirtualNumber] = Field(default_factory=list)
    status_code: int | None = None
    status_message: str | None = None


class NumberCheckPayload(Inbound):
    reference_id: str | None = None
    msisdn: str | None = None
    country_code: str | None = None


class NumberCheckResponse(Inbound):
    status_code: int | None = None
    status_message: str | None = None
    timestamp: str | None = None
    payload: NumberCheckPayload | None = None


def _not_null(value: object) -> object:
    """A field the schema types plainly (not nullable) may be left out, but not sent as null."""
    if value is None:
        raise ValueError("may be left out but not null")
    return value


class RecordingProtocol(StrEnum):
    """How recordings are pushed: the recordings guide names S3 and SFTP; the OpenAPI example
    uses ``ftp``."""

    S3 = "S3"
    SFTP = "SFTP"
    FTP = "FTP"


class RecordingPushConfigRequest(Outbound):
    """Body of ``POST /recording-push-config``: where the platform uploads recordings.

    ``host`` is the SFTP server, or the AWS region for S3 (``ap-southeast-2``); ``path`` is the
    remote folder. The OpenAPI document marks nothing required; ivrkit needs protocol and host,
    without which nothing could be uploaded."""

    protocol: RecordingProtocol
    host: str = Field(min_length=1, max_length=255)
    port: StrictInt | None = Field(default=None, ge=1, le=65535)
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=1024)
    path: str | None = Field(default=None, max_length=1024)

    @field_validator("protocol", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        return _not_null(value)


class RecordingPushConfig(Inbound):
    """Recording delivery settings as the API answers them: the password is never echoed, only
    ``passwordSet``; the delete answer adds ``delete: true``."""

    sub_account_id: str | None = None
    protocol: str | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password_set: bool | None = None
    path: str | None = None
    delete: bool | None = None
    status_code: int | None = None
    status_message: str | None = None


class RecordingStatus(StrEnum):
    """`status` of a recording (recordings guide; the OpenAPI example says ``completed``)."""

    PROCESSING = "PROCESSING"
    PROCESSING_FAILED = "PROCESSING_FAILED"
    UPLOAD_COMPLETED = "UPLOAD_COMPLETED"
    UPLOAD_FAILED = "UPLOAD_FAILED"
    CALLBACK_COMPLETED = "CALLBACK_COMPLETED"
    CALLBACK_FAILED = "CALLBACK_FAILED"
    UNKNOWN = "UNKNOWN"


class Recording(Inbound):
    """One recording of a session. The guide writes ``sessionId``, the OpenAPI document
    ``sessionid`` (A44, kept as an extra field); ``duration`` (seconds) is the OpenAPI's."""

    recording_id: str | None = None
    session_id: str | None = None
    sub_account_id: str | None = None
    status: str | None = None
    external_file_url: str | None = None
    duration: int | None = None
    start_recording_time: str | None = None


class RecordingsResponse(Inbound):
    """Answer to ``GET /recordings/{sessionId}``."""

    recordings: list[Recording] = Field(default_factory=list)
    status_code: int | None = None
    status_message: str | None = None


class LogExportRequest(Outbound):
    """Body of ``POST /messages/exports``: a date (``2020-07-01``) or a date-time, in UTC
    (``...Z`` or no offset) or with an offset (``+07:00``); ``limit`` 0 means no limit."""

    from_: str | None = Field(default=None, alias="from", max_length=64)
    to: str | None = Field(default=None, max_length=64)
    limit: StrictInt | None = Field(default=None, ge=0)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        return _not_null(value)


class LogExportStarted(Inbound):
    """Answer (202) to starting a log export."""

    job_id: str


class LogExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EMPTY = "empty"
    ERROR = "error"


class LogExportJob(Inbound):
    """Answer to polling a log export: ``data`` (download links) and ``expires`` only once it
    ``succeeded``."""

    status: str
    data: list[str] | None = None
    expires: str | None = None

    @property
    def done(self) -> bool:
        return self.status not in (LogExportStatus.QUEUED, LogExportStatus.RUNNING)


class LogExportError(Inbound):
    """Error body of the log-export operations: ``code``/``message``, not ``statusCode`` (A26)."""

    code: int | None = None
    message: str | None = None
    error_id: str | None = None
    timestamp: str | None = None
