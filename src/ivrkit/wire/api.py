"""Answers of the Voice REST API and the bodies of its configuration requests.

Answers are parsed leniently (the platform adds fields); requests are strict.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

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
    enabled: bool | None = None
    active: bool | None = None

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


class RecordingPushConfig(Inbound):
    """Recording delivery settings (request and answer share one lenient shape)."""

    protocol: str | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = None
    path: str | None = None
    sub_account_id: str | None = None
    password_set: bool | None = None
    status_code: int | None = None
    status_message: str | None = None


class Recording(Inbound):
    recording_id: str | None = None
    session_id: str | None = None
    sub_account_id: str | None = None
    status: str | None = None
    external_file_url: str | None = None
    start_recording_time: str | None = None


class RecordingsResponse(Inbound):
    recordings: list[Recording] = Field(default_factory=list)
    status_code: int | None = None
    status_message: str | None = None


class LogExportJob(Inbound):
    job_id: str | None = None
    status: str | None = None
    data: list[str] | None = None
    expires: str | None = None


class LogExportError(Inbound):
    code: int | None = None
    message: str | None = None
    error_id: str | None = None
    timestamp: str | None = None
