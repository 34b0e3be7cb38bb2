"""Property tests of the rules: no input makes validate raise, and valid callflows stay valid."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivrkit import wire
from ivrkit.rules import (
    KNOWN_VOICE_PROFILES,
    STATUS_MESSAGES,
    Mode,
    Platform,
    Verdict,
    http_status_for,
    validate,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)

PARAM_NAMES = [
    "source", "destination", "callRecording", "text", "voiceProfile", "repetition", "speed",
    "promptMessage", "minDigits", "maxDigits", "digitTimeout", "overallTimeout", "completeOnHash",
    "noOfTries", "successMessage", "failureMessage", "fileUrl", "bogus",
]  # fmt: skip
param_values = (
    json_scalars
    | st.sampled_from(sorted(KNOWN_VOICE_PROFILES))
    | st.sampled_from(["+6512345678", "6561115777", "{{x}}", "https://a.example/b.mp3"])
    | st.integers(min_value=-2, max_value=40000)
    | st.lists(json_scalars, max_size=2)
)
entries = st.fixed_dictionaries(
    {"action": st.sampled_from([*wire.ACTION_NAMES, "dance", "Say"]) | json_scalars},
    optional={
        "params": st.dictionaries(st.sampled_from(PARAM_NAMES), param_values, max_size=8)
        | json_scalars,
        "destination": st.text(max_size=12),
    },
)
callflow_like = st.fixed_dictionaries(
    {"callflow": st.lists(entries | json_scalars, max_size=6)},
    optional={
        "validUntil": st.text(max_size=30) | st.just("2030-01-01T00:00:00Z") | json_scalars,
        "clientActionId": json_scalars,
        "clientRequestId": json_scalars,
    },
)


def assert_consistent(verdict: Verdict) -> None:
    assert verdict.status_code in STATUS_MESSAGES
    assert verdict.status_code != -9999
    assert verdict.http_status == http_status_for(verdict.status_code)
    assert verdict.ok == (not verdict.findings)
    if verdict.findings:
        first = verdict.findings[0]
        assert (first.code, first.message) == (verdict.status_code, verdict.status_message)
        assert all(finding.code in STATUS_MESSAGES for finding in verdict.findings)
    else:
        assert (verdict.status_code, verdict.status_message) == (1, "Created")


@SETTINGS
@given(json_values, st.sampled_from(list(Mode)))
def test_any_json_value_gets_a_verdict(value: Any, mode: Mode) -> None:
    assert_consistent(validate(value, mode=mode))
    assert_consistent(validate(json.dumps(value), mode=mode))


@SETTINGS
@given(st.binary(max_size=64) | st.text(max_size=64))
def test_any_text_or_bytes_gets_a_verdict(raw: str | bytes) -> None:
    assert_consistent(validate(raw))


@SETTINGS
@given(callflow_like, st.sampled_from(list(Mode)), st.booleans())
def test_callflow_shaped_input_gets_the_same_verdict_as_text_or_dict(
    body: dict[str, Any], mode: Mode, strict: bool
) -> None:
    platform = Platform(strict_timeouts=strict, vca_webhook=False)
    verdict = validate(body, mode=mode, platform=platform)
    assert_consistent(verdict)
    assert validate(json.dumps(body), mode=mode, platform=platform) == verdict


spoken_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=200,
)


@st.composite
def valid_captures(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {
        "promptMessage": draw(spoken_text),
        "voiceProfile": draw(st.sampled_from(sorted(KNOWN_VOICE_PROFILES))),
    }
    hash_on = draw(st.none() | st.booleans())
    if hash_on is not None:
        params["completeOnHash"] = hash_on
    top = 25 if hash_on is False else 60
    most = draw(st.integers(1, top) if hash_on is False else st.none() | st.integers(1, top))
    if most is not None:
        params["maxDigits"] = most
        least = draw(st.none() | st.integers(1, most))
        if least is not None:
            params["minDigits"] = least
    digit = draw(st.none() | st.integers(1, 60_000))
    if digit is not None:
        params["digitTimeout"] = digit
        overall = draw(st.none() | st.integers(digit, 120_000))
    else:
        overall = draw(st.none() | st.integers(1, 120_000))
    if overall is not None:
        params["overallTimeout"] = overall
    for key, strategy in [
        ("speed", st.floats(0.5, 2.0) | st.sampled_from([1, 2])),
        ("noOfTries", st.integers(1, 5)),
        ("successMessage", spoken_text | st.none()),
        ("failureMessage", spoken_text | st.none()),
    ]:
        if draw(st.booleans()):
            params[key] = draw(strategy)
    return {"action": "sayAndCapture", "params": params}


@SETTINGS
@given(valid_captures())
def test_valid_say_and_capture_is_accepted_everywhere(entry: dict[str, Any]) -> None:
    make_call = {"action": "makeCall", "params": {"source": "1", "destination": "+6598888888"}}
    assert validate({"callflow": [entry]}, mode=Mode.ANSWER).codes == ()
    assert validate({"callflow": [make_call, entry]}).codes == ()
    assert validate(json.dumps([entry]).encode(), mode=Mode.ANSWER).ok
    model = wire.Callflow.from_wire({"callflow": [entry]})
    assert validate(model, mode=Mode.ANSWER).ok


@SETTINGS
@given(valid_captures(), st.integers(1, 10_000))
def test_overall_below_digit_timeout_is_1006_alone(entry: dict[str, Any], gap: int) -> None:
    overall = entry["params"].get("overallTimeout", 5000)
    entry["params"]["overallTimeout"] = overall
    entry["params"]["digitTimeout"] = overall + gap
    verdict = validate([entry], mode=Mode.ANSWER)
    assert verdict.codes == (-1006,)
    assert verdict.findings[0].path == "$.callflow[0].params.overallTimeout"


@SETTINGS
@given(valid_captures(), st.sampled_from(["promptMessage", "voiceProfile"]))
def test_dropping_a_required_param_is_reported_with_its_path(
    entry: dict[str, Any], key: str
) -> None:
    del entry["params"][key]
    verdict = validate([entry], mode=Mode.ANSWER)
    if key == "voiceProfile":
        assert verdict.codes == (-1002,)
    else:
        assert verdict.codes == (-1009,)
        assert verdict.status_message == (
            "Invalid call flow entry provided. "
            "$.callflow[0].params.promptMessage: is missing but it is required"
        )
