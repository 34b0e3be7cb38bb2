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

Each concept has its module: :mod:`~ivrkit.rules._codes` (code tables, HTTP statuses, voice
profiles), :mod:`~ivrkit.rules._verdict` (`Body`, `Mode`, `Platform`, `Finding`, `Verdict`),
:mod:`~ivrkit.rules._findings` (the reporting order), :mod:`~ivrkit.rules._document` (JSON types and
paths, top-level fields, -1015), :mod:`~ivrkit.rules._schema` (-1007, -1009, legacy -1011),
:mod:`~ivrkit.rules._callflow` (order, counts, params) and :mod:`~ivrkit.rules._numbers` (-1011,
-1017, -1014). Import from :mod:`ivrkit.rules` itself; the modules are its implementation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from ivrkit.errors import ValidationFailed
from ivrkit.rules._callflow import check_params as _check_params
from ivrkit.rules._callflow import check_sequence as _check_sequence
from ivrkit.rules._codes import (
    KNOWN_VOICE_PROFILES,
    RUNTIME_ERRORS,
    STATUS_MESSAGES,
    http_status_for,
)
from ivrkit.rules._document import check_top as _check_top
from ivrkit.rules._document import is_array as _is_array
from ivrkit.rules._findings import BODY as _BODY
from ivrkit.rules._findings import Findings as _Findings
from ivrkit.rules._numbers import is_msisdn
from ivrkit.rules._schema import check_entry as _check_entry
from ivrkit.rules._verdict import DEFAULT_PLATFORM as _DEFAULT_PLATFORM
from ivrkit.rules._verdict import Body, Finding, Mode, Platform, Verdict
from ivrkit.wire import Callflow, SendCallflowRequest

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


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _judge(body: Body, mode: Mode, platform: Platform) -> tuple[Finding, ...]:
    """The steps of spec §5.3 in turn: body, top-level fields, entries, sequence, params."""
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
