"""Rules across a callflow's entries and params: order and counts (-1013, -1010, -1012, -1004),
voice profiles (-1002), capture limits and timeouts (-1003, -1008, -1005, -1006) and unspeakable
text (-1016); makeCall numbers are left to :mod:`ivrkit.rules._numbers`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ivrkit.rules._findings import ACCOUNT, COUNT, FIRST, PARAMS, SCHEMA, Findings
from ivrkit.rules._numbers import check_make_call
from ivrkit.rules._verdict import Mode, Platform
from ivrkit.wire import MAX_DIGITS_WITHOUT_HASH, MAX_MAKE_CALLS

__all__ = ["SPOKEN", "check_params", "check_sequence"]

SPOKEN = {"say": ("text",), "sayAndCapture": ("promptMessage", "successMessage", "failureMessage")}
"""The actions that speak, and their params that are spoken text."""
_REFUSED_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def check_sequence(
    names: list[str | None], mode: Mode, platform: Platform, found: Findings
) -> None:
    """Steps 5 and 6, and -1004: rules on the list of action names."""
    if mode is Mode.REQUEST and (not names or names[0] != "makeCall"):
        found.add(FIRST, 0, -1013, "$.callflow[0].action" if names else "$.callflow")
    make_calls = 0
    for index, name in enumerate(names):
        if name == "makeCall":
            make_calls += 1
            if make_calls > MAX_MAKE_CALLS:
                found.add(COUNT, index, -1010, f"$.callflow[{index}].action")
        elif name == "hangup" and index != len(names) - 1:
            found.add(COUNT, index, -1012, f"$.callflow[{index}].action")
        elif name == "sayAndCapture" and platform.vca_webhook is False:
            found.add(ACCOUNT, index, -1004, f"$.callflow[{index}].action")


def check_params(
    index: int, name: str, params: Mapping[Any, Any], platform: Platform, found: Findings
) -> None:
    """Steps 7 and 8 for one entry whose params are an object."""
    path = f"$.callflow[{index}].params"
    if name in SPOKEN:
        profile = params.get("voiceProfile")
        if not isinstance(profile, str) or profile not in platform.voice_profiles:
            found.add(PARAMS, index, -1002, f"{path}.voiceProfile")
        if name == "sayAndCapture":
            _check_capture(index, path, params, platform.strict_timeouts, found)
        for key in SPOKEN[name]:
            text = params.get(key)
            if isinstance(text, str) and _REFUSED_CHARS.search(text):
                found.add(ACCOUNT, index, -1016, f"{path}.{key}")
    elif name == "makeCall":
        check_make_call(index, path, params, platform.allowed_sources, found)


def _check_capture(
    index: int, path: str, params: Mapping[Any, Any], strict: bool, found: Findings
) -> None:
    """-1003, -1008, -1005, -1006 for one sayAndCapture (and -1009 for limits they leave open)."""
    min_digits, max_digits = params.get("minDigits"), params.get("maxDigits")
    least, most = _as_int(min_digits), _as_int(max_digits)
    usable_most = most if most is not None and most >= 1 else None
    if min_digits is not None and (usable_most is None or usable_most < (least or 1)):
        found.add(PARAMS, index, -1003, f"{path}.maxDigits")
    hash_off = params.get("completeOnHash") is False
    if hash_off and (usable_most is None or usable_most > MAX_DIGITS_WITHOUT_HASH):
        found.add(PARAMS, index, -1008, f"{path}.maxDigits")
    if most is not None and most < 1 and min_digits is None and not hash_off:
        found.add(SCHEMA, index, -1009, f"{path}.maxDigits", "must have a minimum value of 1")

    digit, overall = _as_int(params.get("digitTimeout")), _as_int(params.get("overallTimeout"))
    if params.get("digitTimeout") is not None:
        if (overall is None or overall < 1) and (strict or "overallTimeout" in params):
            found.add(PARAMS, index, -1005, f"{path}.overallTimeout")
        elif overall is not None and digit is not None and overall >= 1 and digit >= 1:
            if overall < digit or (strict and overall == digit):
                found.add(PARAMS, index, -1006, f"{path}.overallTimeout")
    elif overall is not None and overall < 1:
        found.add(SCHEMA, index, -1009, f"{path}.overallTimeout", "must have a minimum value of 1")


def _as_int(value: object) -> int | None:
    """``value`` when it is a JSON integer (not a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
