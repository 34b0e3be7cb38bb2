"""The platform's validation rules and status codes, written once for client, server and simulator.

:func:`validate` judges a Send Callflow body (:attr:`Mode.REQUEST`) or a callflow answered to a
CALL_ACTION webhook (:attr:`Mode.ANSWER`) the way the 8x8 Voice API would, and returns a
:class:`Verdict` listing every problem, not only the first. The docs leave many rules open
(spec §5, §13); the readings chosen here are:

- **Order.** Codes follow the procedure of spec §5.3: body (-1001); each entry in turn, unknown
  action (-1007) then schema (-1009), with top-level fields before the entries; first action
  (-1013); counts (-1010, -1012); each say/sayAndCapture in turn (-1002, -1003, -1008, -1005,
  -1006); then -1004, -1011, -1017, -1014, -1016, -1015. The first finding is the one reported.
- **HTTP status (A38).** 200 for code 1; 400 for -1001, -1007 and -1009 (the OAS 400 example and
  WH's "400 for invalid payloads"); 500 for -9999; 422 for every other negative code (the OAS
  -1013 example). 401/404/500 mirror themselves.
- **-1007 message (A35).** The canonical STATUS text; the offending path is in ``Finding.path``.
  An entry that is not a JSON object gets -1009 (a type error), not -1007.
- **-1009 messages** imitate the platform's JSON-schema validator:
  ``Invalid call flow entry provided. $.callflow[0].params.text: is missing but it is required``.
  Unknown params, snake_case param names, unknown top-level fields (a request takes
  `callflow`, `validUntil`, `clientRequestId`; an answer `callflow`, `clientActionId`) and an
  unparseable `validUntil` are -1009. A `maxDigits` or `overallTimeout` below 1 is -1009 only when
  -1003/-1008/-1005 do not already cover it. An empty callflow is valid in ANSWER mode (no rule).
- **-1002** replaces -1009 for a missing or non-string `voiceProfile`, and fires for a profile
  missing from ``Platform.voice_profiles``.
- **-1005/-1006 (A6), lenient by default** so that every vendor example passes (they use
  digitTimeout == overallTimeout, and OAS Example 1 sets digitTimeout alone): -1006 only when an
  explicit overallTimeout is below digitTimeout; -1005 only when digitTimeout is given and
  overallTimeout is present but null, not an integer, or below 1. No default overallTimeout is
  assumed (the docs give 5000 and 30000). ``Platform(strict_timeouts=True)`` is the strict
  reading: overallTimeout required (-1005) and strictly greater (-1006).
- **-1010 (A41)** counts makeCall per callflow document, not per session.
- **-1011** (no trigger documented): a `destination` key in any entry that is not a makeCall
  (the OAS legacy playFile shape, ``{"destination", "fileUrl", "repetition"}``), or a makeCall
  destination that is an array or lists several numbers separated by ``,``/``;``. It replaces the
  -1009 that key would otherwise give. The flat legacy entry has no `action`, so -1007 is
  reported first (an unknown action is a step-4 schema error) and -1011 is collected after it.
- **-1017** uses ``phonenumbers.is_possible_number`` on the digits with ``+`` prepended when
  missing, after requiring ``+?[0-9]{1,15}``. *Possible* (length plausible for the country), not
  *valid* (number in an allocated range), because the vendor's own examples such as 6512345678
  and +6512341234 are not allocated Singapore numbers yet must pass. ``{{...}}`` fails.
- **-1014** compares sources as digits only (``+`` and formatting ignored).
- **-1016** (characters unnamed by the docs): C0/C1 control characters other than tab, CR and
  LF, NUL, lone surrogates and U+FFFE/U+FFFF in a spoken text (`text`, `promptMessage`,
  `successMessage`, `failureMessage`): none can be pronounced or safely passed to a TTS engine.
- **-1015** compares `validUntil` with ``Platform.now()`` in UTC; milliseconds and offsets are
  optional; only a moment strictly before now has expired.
- **-9999**: an unexpected failure inside the validator is logged and reported, never raised.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeGuard

import phonenumbers
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ivrkit.errors import ValidationFailed
from ivrkit.wire import (
    ACTION_TYPES,
    MAX_DIGITS_WITHOUT_HASH,
    MAX_MAKE_CALLS,
    Callflow,
    SendCallflowRequest,
    SendCallflowResponse,
    SessionCreation,
    parse_valid_until,
)

__all__ = [
    "KNOWN_VOICE_PROFILES",
    "RUNTIME_ERRORS",
    "STATUS_MESSAGES",
    "Body",
    "Finding",
    "Mode",
    "Platform",
    "Verdict",
    "check",
    "describe",
    "http_status_for",
    "is_msisdn",
    "validate",
]

log = logging.getLogger(__name__)

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

Body = str | bytes | Mapping[str, Any] | Sequence[Any] | SendCallflowRequest | Callflow
"""Anything :func:`validate` judges: JSON text, decoded JSON, a bare callflow array, or a model."""


class Mode(StrEnum):
    REQUEST = "request"
    """A Send Callflow body: must start with makeCall; may carry validUntil/clientRequestId."""
    ANSWER = "answer"
    """A callflow answered to a VCA webhook: no makeCall-first rule; may carry clientActionId."""


@dataclass(frozen=True)
class Finding:
    """One problem: the platform's code, its `statusMessage`, and where it is."""

    code: int
    message: str
    path: str | None = None


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


@dataclass(frozen=True)
class Verdict:
    """What the platform would answer: the reported code and every finding, in its order."""

    status_code: int
    status_message: str
    http_status: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.status_code == 1

    @property
    def codes(self) -> tuple[int, ...]:
        """The code of every finding, in order."""
        return tuple(finding.code for finding in self.findings)

    def to_response(
        self, *, session_id: str | None = None, request_id: str | None = None
    ) -> SendCallflowResponse:
        """The Send Callflow answer; ids are included only when given (sessionId only if ok)."""
        fields: dict[str, Any] = {
            "statusCode": self.status_code,
            "statusMessage": self.status_message,
            "sessionStatus": SessionCreation.CREATED if self.ok else SessionCreation.NOT_CREATED,
        }
        if self.ok and session_id is not None:
            fields["sessionId"] = session_id
        if request_id is not None:
            fields["callFlowRequestId"] = request_id
        return SendCallflowResponse.model_validate(fields)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Platform:
    """What the platform knows about the account being judged."""

    voice_profiles: frozenset[str] = KNOWN_VOICE_PROFILES
    allowed_sources: frozenset[str] | None = None
    """None: any caller ID; else the allowed numbers, compared as digits only (-1014)."""
    vca_webhook: bool | None = None
    """None: not checked; False: a sayAndCapture has nowhere to report digits (-1004)."""
    strict_timeouts: bool = False
    """The strict reading of -1005/-1006 (see the module docstring)."""
    now: Callable[[], datetime] = _utc_now
    """The current moment, for `validUntil` (-1015); a naive result is taken as UTC."""


_DEFAULT_PLATFORM = Platform()

# Steps of spec §5.3. In the "by entry" steps findings sort by entry index, elsewhere by code.
_BODY, _SCHEMA, _FIRST, _COUNT, _PARAMS, _ACCOUNT = range(6)
_BY_ENTRY = frozenset({_SCHEMA, _PARAMS})
_CODE_RANK = {
    code: rank
    for rank, code in enumerate((-1013, -1010, -1012, -1004, -1011, -1017, -1014, -1016, -1015))
}
_TOP_LEVEL = {
    Mode.REQUEST: ("callflow", "validUntil", "clientRequestId"),
    Mode.ANSWER: ("callflow", "clientActionId"),
}
_SPOKEN = {"say": ("text",), "sayAndCapture": ("promptMessage", "successMessage", "failureMessage")}
_REFUSED_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MSISDN_SHAPE = re.compile(r"\+?[0-9]{1,15}")
_NUMBER_SEPARATORS = re.compile(r"[,;]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_DEFINED = "is not defined in the schema and the schema does not allow additional properties"
_EXPECTED_TYPE = {
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "string_type": "string",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "list_type": "array",
}


class _Findings:
    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, Finding]] = []

    def add(self, step: int, entry: int, code: int, path: str | None, detail: str = "") -> None:
        message = STATUS_MESSAGES[code]
        if detail:
            message = f"{message} {path}: {detail}"
        sub = entry if step in _BY_ENTRY else _CODE_RANK.get(code, 0)
        self._items.append((step, sub, len(self._items), Finding(code, message, path)))

    def ordered(self) -> tuple[Finding, ...]:
        return tuple(item[3] for item in sorted(self._items, key=lambda item: item[:3]))


def validate(body: Body, *, mode: Mode = Mode.REQUEST, platform: Platform | None = None) -> Verdict:
    """Judge ``body`` as the platform would; never raises on bad input (see the module docstring).

    A bare JSON array is taken as the callflow itself. Models are checked without re-parsing.
    """
    mode = Mode(mode)
    try:
        findings = _judge(body, mode, platform or _DEFAULT_PLATFORM)
    except Exception:
        # The platform answers -9999 for anything unforeseen; the traceback goes to the log.
        log.exception("unexpected failure while validating a callflow")
        findings = (Finding(-9999, STATUS_MESSAGES[-9999]),)
    if not findings:
        return Verdict(1, STATUS_MESSAGES[1], 200, ())
    first = findings[0]
    return Verdict(first.code, first.message, http_status_for(first.code), findings)


def check(body: Body, *, mode: Mode = Mode.REQUEST, platform: Platform | None = None) -> None:
    """Raise :class:`~ivrkit.errors.ValidationFailed` unless ``body`` would be accepted."""
    verdict = validate(body, mode=mode, platform=platform)
    if not verdict.ok:
        raise ValidationFailed(verdict.status_code, verdict.status_message)


def describe(verdict: Verdict) -> str:
    """One line, ``CODE MESSAGE``, as ``ivrkit validate`` prints it."""
    return " ".join(f"{verdict.status_code} {verdict.status_message}".split())


@lru_cache(maxsize=4096)
def is_msisdn(number: str) -> bool:
    """Whether ``number`` is a possible international MSISDN, ``+`` optional (-1017 otherwise)."""
    if not _MSISDN_SHAPE.fullmatch(number):
        return False
    try:
        parsed = phonenumbers.parse("+" + number.removeprefix("+"))
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(parsed))


@lru_cache(maxsize=64)
def _digits_of(numbers: frozenset[str]) -> frozenset[str]:
    return frozenset(_digits(number) for number in numbers)


def _digits(number: str) -> str:
    return "".join(char for char in number if "0" <= char <= "9")


def _as_int(value: object) -> int | None:
    """``value`` when it is a JSON integer (not a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _is_array(value: object) -> TypeGuard[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if _is_array(value):
        return "array"
    return type(value).__name__


def _join(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(str(key))}]"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _judge(body: Body, mode: Mode, platform: Platform) -> tuple[Finding, ...]:
    found = _Findings()
    trusted = isinstance(body, SendCallflowRequest | Callflow)
    document: object = body
    if isinstance(body, SendCallflowRequest | Callflow):
        document = body.to_wire()  # already schema-valid: only the rules below remain
    elif isinstance(body, str | bytes | bytearray):
        try:
            document = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            found.add(_BODY, 0, -1001, None)
            return found.ordered()
    if isinstance(document, Mapping):
        top: Mapping[Any, Any] | None = document
        callflow = document.get("callflow")
    elif _is_array(document):
        top, callflow = None, document
    else:
        found.add(_BODY, 0, -1001, "$")
        return found.ordered()
    if not _is_array(callflow):
        found.add(_BODY, 0, -1001, "$.callflow")
        return found.ordered()
    if top is not None:
        _check_top(top, mode, platform, found)
    entries = [_check_entry(index, entry, trusted, found) for index, entry in enumerate(callflow)]
    names = [name for name, _ in entries]
    _check_sequence(names, mode, platform, found)
    for index, (name, params) in enumerate(entries):
        if name is not None and params is not None:
            _check_params(index, name, params, platform, found)
    return found.ordered()


def _check_top(top: Mapping[Any, Any], mode: Mode, platform: Platform, found: _Findings) -> None:
    allowed = _TOP_LEVEL[mode]
    for key in top:
        if key not in allowed:
            found.add(_SCHEMA, -1, -1009, _join("$", key), _NOT_DEFINED)
    for key in allowed[1:]:
        value = top.get(key)
        if value is not None and not isinstance(value, str):
            found.add(_SCHEMA, -1, -1009, f"$.{key}", f"{_json_type(value)} found, string expected")
    valid_until = top.get("validUntil") if mode is Mode.REQUEST else None
    if isinstance(valid_until, str):
        try:
            moment = parse_valid_until(valid_until)
        except ValueError:
            detail = "is not a valid date-time (expected YYYY-MM-DDTHH:MM:SS.SSSZ)"
            found.add(_SCHEMA, -1, -1009, "$.validUntil", detail)
            return
        now = platform.now()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if moment < now:
            found.add(_ACCOUNT, 0, -1015, "$.validUntil")


def _check_entry(
    index: int, entry: object, trusted: bool, found: _Findings
) -> tuple[str | None, Mapping[Any, Any] | None]:
    """Steps 4 (-1007, -1009) and the legacy-destination rule (-1011) for one entry."""
    path = f"$.callflow[{index}]"
    if not isinstance(entry, Mapping):
        found.add(_SCHEMA, index, -1009, path, f"{_json_type(entry)} found, object expected")
        return None, None
    name = entry.get("action")
    raw_params = entry.get("params")
    params = raw_params if isinstance(raw_params, Mapping) else None
    excused: set[tuple[str | int, ...]] = set()
    if name != "makeCall":
        if "destination" in entry:
            found.add(_ACCOUNT, index, -1011, f"{path}.destination")
            excused.add(("destination",))
        if params is not None and "destination" in params:
            found.add(_ACCOUNT, index, -1011, f"{path}.params.destination")
            excused.add(("params", "destination"))
    elif params is not None and _is_array(params.get("destination")):
        excused.add(("params", "destination"))  # -1011, reported with the other params
    if not isinstance(name, str) or name not in ACTION_TYPES:
        found.add(_SCHEMA, index, -1007, f"{path}.action")
        return None, params
    if name in _SPOKEN:
        excused.add(("params", "voiceProfile"))  # -1002, not -1009
    if not trusted:
        try:
            ACTION_TYPES[name].model_validate(entry, by_alias=True, by_name=False)
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                loc = tuple(detail["loc"])
                if loc in excused or (detail["type"] == "string_unicode" and name in _SPOKEN):
                    continue  # lone surrogates in spoken text are -1016
                where = path
                for key in loc:
                    where = _join(where, key)
                found.add(_SCHEMA, index, -1009, where, _schema_detail(detail))
    return name, params


def _schema_detail(error: ErrorDetails) -> str:
    kind, context = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "is missing but it is required"
    if kind == "extra_forbidden":
        return _NOT_DEFINED
    if kind in _EXPECTED_TYPE:
        return f"{_json_type(error['input'])} found, {_EXPECTED_TYPE[kind]} expected"
    if kind == "greater_than_equal":
        return f"must have a minimum value of {context['ge']}"
    if kind == "less_than_equal":
        return f"must have a maximum value of {context['le']}"
    if kind == "string_too_long":
        return f"must be at most {context['max_length']} characters long"
    if kind == "string_pattern_mismatch":
        return f"does not match the regex pattern {context['pattern']}"
    return str(error["msg"])


def _check_sequence(
    names: list[str | None], mode: Mode, platform: Platform, found: _Findings
) -> None:
    """Steps 5 and 6, and -1004: rules on the list of action names."""
    if mode is Mode.REQUEST and (not names or names[0] != "makeCall"):
        found.add(_FIRST, 0, -1013, "$.callflow[0].action" if names else "$.callflow")
    make_calls = 0
    for index, name in enumerate(names):
        if name == "makeCall":
            make_calls += 1
            if make_calls > MAX_MAKE_CALLS:
                found.add(_COUNT, index, -1010, f"$.callflow[{index}].action")
        elif name == "hangup" and index != len(names) - 1:
            found.add(_COUNT, index, -1012, f"$.callflow[{index}].action")
        elif name == "sayAndCapture" and platform.vca_webhook is False:
            found.add(_ACCOUNT, index, -1004, f"$.callflow[{index}].action")


def _check_params(
    index: int, name: str, params: Mapping[Any, Any], platform: Platform, found: _Findings
) -> None:
    """Steps 7 and 8 for one entry whose params are an object."""
    path = f"$.callflow[{index}].params"
    if name in _SPOKEN:
        profile = params.get("voiceProfile")
        if not isinstance(profile, str) or profile not in platform.voice_profiles:
            found.add(_PARAMS, index, -1002, f"{path}.voiceProfile")
        if name == "sayAndCapture":
            _check_capture(index, path, params, platform.strict_timeouts, found)
        for key in _SPOKEN[name]:
            text = params.get(key)
            if isinstance(text, str) and _REFUSED_CHARS.search(text):
                found.add(_ACCOUNT, index, -1016, f"{path}.{key}")
    elif name == "makeCall":
        destination = params.get("destination")
        if _is_array(destination) or (
            isinstance(destination, str)
            and sum(1 for part in _NUMBER_SEPARATORS.split(destination) if part.strip()) > 1
        ):
            found.add(_ACCOUNT, index, -1011, f"{path}.destination")
        elif isinstance(destination, str) and not is_msisdn(destination):
            found.add(_ACCOUNT, index, -1017, f"{path}.destination")
        source = params.get("source")
        allowed = platform.allowed_sources
        if allowed is not None and isinstance(source, str):
            digits = _digits(source)
            if not digits or digits not in _digits_of(allowed):
                found.add(_ACCOUNT, index, -1014, f"{path}.source")


def _check_capture(
    index: int, path: str, params: Mapping[Any, Any], strict: bool, found: _Findings
) -> None:
    """-1003, -1008, -1005, -1006 for one sayAndCapture (and -1009 for limits they leave open)."""
    min_digits, max_digits = params.get("minDigits"), params.get("maxDigits")
    least, most = _as_int(min_digits), _as_int(max_digits)
    usable_most = most if most is not None and most >= 1 else None
    if min_digits is not None and (usable_most is None or usable_most < (least or 1)):
        found.add(_PARAMS, index, -1003, f"{path}.maxDigits")
    hash_off = params.get("completeOnHash") is False
    if hash_off and (usable_most is None or usable_most > MAX_DIGITS_WITHOUT_HASH):
        found.add(_PARAMS, index, -1008, f"{path}.maxDigits")
    if most is not None and most < 1 and min_digits is None and not hash_off:
        found.add(_SCHEMA, index, -1009, f"{path}.maxDigits", "must have a minimum value of 1")

    digit, overall = _as_int(params.get("digitTimeout")), _as_int(params.get("overallTimeout"))
    if params.get("digitTimeout") is not None:
        if (overall is None or overall < 1) and (strict or "overallTimeout" in params):
            found.add(_PARAMS, index, -1005, f"{path}.overallTimeout")
        elif overall is not None and digit is not None and overall >= 1 and digit >= 1:
            if overall < digit or (strict and overall == digit):
                found.add(_PARAMS, index, -1006, f"{path}.overallTimeout")
    elif overall is not None and overall < 1:
        found.add(_SCHEMA, index, -1009, f"{path}.overallTimeout", "must have a minimum value of 1")
