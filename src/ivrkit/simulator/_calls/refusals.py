"""When the platform fails a session at run time, and with which code (spec §6.6).

The codes -2001…-2010 reach the backend only as the session summary's ``errorDetails`` (status
ERROR). Where the spec leaves a choice open, the reading taken is stated here:

- **-2004** "No coverage available for requested area": checked when a leg is dialled or
  received, against the remote party's region (the callee of a dialled leg, the caller of an
  inbound call; the spec names both "destination" and "caller" region, so both ends a party
  sits at are checked, while the caller ID the platform presents is -2008's business).
- **-2005** "Unable to synthesize text to speech": a `say`/`sayAndCapture` (prompt, success or
  failure text) in a voice the speech engine fails on (settings), or a text with nothing to
  speak (whitespace only) — the validator lets both through.
- **-2006** "Unable to download file for playback": only when the settings say to download
  files (``fetchFiles``); then a connection error, a timeout, a non-2xx answer or a file over
  5120 KB fails the session. Downloads are cached for an hour of simulated time, by URL.
- **-2007** "The validity period … has expired": the request's ``validUntil`` passed between
  acceptance and dialling (``dialDelay``). The other reading — a call held in a queue for a free
  trunk until it expires — is not modelled: a full trunk fails at once (-2010).
- **-2008** "… caller ID is not whitelisted": a leg dialled with a caller ID outside the allowed
  sources — a bridge in a CALL_ACTION answer (the run-time twin of -1014: such an answer is
  not refused as invalid, -2003, but runs until its makeCall dials and fails, so leg B ends in
  ERROR), or leg A after the whitelist changed since the request was accepted.
- **-2009** "The scenario parameters provided is invalid": a CALL_ACTION answer that holds a
  scenario entry (an action naming a scenario, or a ``scenarioName``); scenarios are outside
  the public action set, so such an answer is always refused, with this code rather than -2003.
- **-2010** "The trunk capacity has been exceeded": a leg dialled or received while the trunk
  already carries ``trunkCapacity`` calls. Calls are counted per leg (a bridged session uses
  two channels), over every session of the simulator.

A failing leg ends with `callStatus` ERROR (as the voice-messaging -2004 example shows); the
other leg of a bridge is completed by the platform, so the summary reads callA COMPLETED,
callB ERROR, session ERROR (the derivation table's last row).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ivrkit.rules import Verdict
from ivrkit.simulator._account.numbers import country_of

if TYPE_CHECKING:
    from ivrkit.simulator._account.settings import PlatformSettings
    from ivrkit.simulator._calls.legs import LegState

__all__ = [
    "CALLER_ID_API_CODE",
    "CALLER_ID_CODE",
    "DOWNLOAD_CODE",
    "EXPIRED_CODE",
    "NO_COVERAGE_CODE",
    "SCENARIO_CODE",
    "TRUNK_FULL_CODE",
    "TTS_CODE",
    "answer_failure_code",
    "leg_refusal",
    "speech_refusal",
]

NO_COVERAGE_CODE = -2004
TTS_CODE = -2005
DOWNLOAD_CODE = -2006
EXPIRED_CODE = -2007
CALLER_ID_CODE = -2008
SCENARIO_CODE = -2009
TRUNK_FULL_CODE = -2010
INVALID_ANSWER_CODE = -2003
CALLER_ID_API_CODE = -1014


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def leg_refusal(
    settings: PlatformSettings, trunks_in_use: Callable[[], int], leg: LegState
) -> tuple[int, str] | None:
    """Why the platform cannot place (or take) this leg now, as (code, detail), or None;
    ``trunks_in_use`` counts the legs up now, this one included (asked only under a limit)."""
    capacity = settings.trunk_capacity
    if capacity is not None and trunks_in_use() > capacity:
        return TRUNK_FULL_CODE, f"the trunk already carries {capacity} call(s)"
    covered = settings.covered_countries
    if covered is not None:
        region = country_of(leg.phone)
        if region not in covered:
            where = region or "an unknown region"
            return NO_COVERAGE_CODE, f"{leg.phone} is in {where}, outside the account's coverage"
    allowed = settings.allowed_sources
    if leg.direction == "OUTBOUND" and allowed is not None:
        if _digits(leg.source) not in {_digits(number) for number in allowed}:
            return CALLER_ID_CODE, f"caller ID {leg.source} is not whitelisted"
    return None


def speech_refusal(
    settings: PlatformSettings, text: str, voice: str | None
) -> tuple[int, str] | None:
    """Why the speech engine cannot render ``text`` in ``voice``, or None."""
    if voice is not None and voice in settings.unspeakable_voice_profiles:
        return TTS_CODE, f"the speech engine failed on voice {voice}"
    if not text.strip():
        return TTS_CODE, "the text has nothing to speak"
    return None


def _names_scenario(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    action = entry.get("action")
    params = entry.get("params")
    return (
        "scenarioName" in entry
        or (isinstance(action, str) and "scenario" in action.lower())
        or (isinstance(params, dict) and "scenarioName" in params)
    )


def answer_failure_code(verdict: Verdict, answer: Any) -> int:
    """The run-time code for a CALL_ACTION answer the rules refused."""
    flow = answer.get("callflow") if isinstance(answer, dict) else answer
    if isinstance(answer, dict) and "scenarioName" in answer:
        return SCENARIO_CODE
    if isinstance(flow, list) and any(_names_scenario(entry) for entry in flow):
        return SCENARIO_CODE
    return INVALID_ANSWER_CODE
