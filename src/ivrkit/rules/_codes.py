"""The platform's code tables: Send Callflow status codes and messages, the HTTP status each is
answered with, session runtime errors, and the voice profiles an account is assumed to have."""

from __future__ import annotations

__all__ = ["KNOWN_VOICE_PROFILES", "RUNTIME_ERRORS", "STATUS_MESSAGES", "http_status_for"]

KNOWN_VOICE_PROFILES: frozenset[str] = frozenset(
    {
        "en-GB-Emma",
        "en-US-BenjaminRUS",
        "en-US-ZiraRUS",
        "en-IE-EmilyNeural",
        "en-US-Neural2-C",
        "en-US-Standard-A",
        "da-DK-Naja",
    }
)
"""Voice profiles used across the vendor's examples (spec §3.4): a stand-in account catalogue."""

STATUS_MESSAGES: dict[int, str] = {
    1: "Created",
    -1001: "Invalid JSON request body",
    -1002: "Speech profile or language parameter invalid",
    -1003: "Valid maxDigits required when minDigits provided",
    -1004: "DTMF callback url not provided",
    -1005: "Valid overallTimeout is required when digitTimeout provided",
    -1006: "OverallTimeout should be greater than digitTimeout",
    -1007: (
        "Invalid action type was used. "
        "Accepted action type is [say, sayAndcapture, makeCall, hangup, playFile]"
    ),
    -1008: "Valid maxDigits is required when completeOnHash is false",
    -1009: "Invalid call flow entry provided.",
    -1010: "Some actions are provided beyond the allowed count",
    -1011: "Multiple destination phone numbers found in the request",
    -1012: "Invalid Callflow : Incorrect use of action Hangup",
    -1013: "Invalid Callflow : First action should be a MakeCall action",
    -1014: "Source or caller ID is not allowed",
    -1015: "The validity period of the call flow request has expired",
    -1016: "Invalid Callflow Content: Some special characters are invalid/unaccepted",
    -1017: "Invalid MSISDN format in Destination",
    -1018: "Invalid Callflow: Execute Scenario cannot be processed together with other actions",
    -1019: "Invalid Callflow Content: scenarioName is null or empty",
    -1020: (
        "Invalid Callflow: Invalid scenarioName or the account doesn't have permission "
        "to execute this scenario"
    ),
    -9999: "An unknown error has occurred",
    401: "Authentication header not found or token invalid",
    404: "SubAccount not found by Id",
    500: "Internal server error",
}
"""Send Callflow `statusCode` → canonical `statusMessage` (spec §5.1). The platform appends
details to -1009 (a JSON path) and to 404 (`` : <subAccountId>``)."""

RUNTIME_ERRORS: dict[int, str] = {
    -2001: "An internal error has occurred",
    -2002: "An internal connectivity error has occurred",
    -2003: "The call flow provided is invalid",
    -2004: "No coverage available for requested area",
    -2005: "Unable to synthesize text to speech",
    -2006: "Unable to download file for playback",
    -2007: "The validity period of the call flow request has expired",
    -2008: "The provided source MSISDN or caller ID is not whitelisted",
    -2009: "The scenario parameters provided is invalid",
    -2010: "The trunk capacity has been exceeded",
    -9999: "An unknown error has occurred",
}
"""Session summary `errorDetails.errorCode` → `errorMsg` (spec §6.6)."""


def http_status_for(code: int) -> int:
    """The HTTP status the Send Callflow API answers with ``code`` (our reading of A38)."""
    if code == 1:
        return 200
    if code in (401, 404, 500):
        return code
    if code in (-1001, -1007, -1009):
        return 400
    if code == -9999:
        return 500
    return 422
