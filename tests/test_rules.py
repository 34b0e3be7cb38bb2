"""The platform's rules: one minimal failing callflow per status code, the order of codes, modes,
input kinds, and every vendor example from the fixtures."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ivrkit import wire
from ivrkit.errors import ValidationFailed
from ivrkit.rules import (
    KNOWN_VOICE_PROFILES,
    RUNTIME_ERRORS,
    STATUS_MESSAGES,
    Finding,
    Mode,
    Platform,
    Verdict,
    check,
    describe,
    http_status_for,
    is_msisdn,
    validate,
)
from tests.conftest import fixture_names, load_fixture

PAST = datetime(2020, 1, 1, tzinfo=UTC)
AT_2020 = Platform(now=lambda: PAST)
PROFILE = "en-US-BenjaminRUS"
CALL: dict[str, Any] = {
    "action": "makeCall",
    "params": {"source": "6561115777", "destination": "6512345678"},
}
HANGUP: dict[str, Any] = {"action": "hangup"}


def say(**params: Any) -> dict[str, Any]:
    return {"action": "say", "params": {"text": "Hello", "voiceProfile": PROFILE, **params}}


def capture(**params: Any) -> dict[str, Any]:
    base = {"promptMessage": "Press 1", "voiceProfile": PROFILE}
    return {"action": "sayAndCapture", "params": {**base, **params}}


def play(**params: Any) -> dict[str, Any]:
    return {"action": "playFile", "params": {"fileUrl": "https://x.example/a.mp3", **params}}


def request(*actions: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"callflow": [CALL, *actions], **top}


def answer(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"callflow": list(actions)}


# -- tables --------------------------------------------------------------------------------------


def test_status_messages_cover_every_documented_code() -> None:
    expected = {1, *range(-1020, -1000), -9999, 401, 404, 500}
    assert set(STATUS_MESSAGES) == expected
    assert STATUS_MESSAGES[1] == "Created"
    assert STATUS_MESSAGES[-1013] == "Invalid Callflow : First action should be a MakeCall action"


def test_runtime_errors_cover_the_session_summary_codes() -> None:
    assert set(RUNTIME_ERRORS) == {*range(-2010, -2000), -9999}
    assert (
        RUNTIME_ERRORS[-2004]
        == load_fixture("vss_vm_failure_error_minus2004.json")["payload"]["errorDetails"][
            "errorMsg"
        ]
    )


def test_known_voice_profiles_are_the_spec_catalogue() -> None:
    assert {
        "en-GB-Emma",
        "en-US-BenjaminRUS",
        "en-US-ZiraRUS",
        "en-IE-EmilyNeural",
        "en-US-Neural2-C",
        "en-US-Standard-A",
        "da-DK-Naja",
    } == KNOWN_VOICE_PROFILES


@pytest.mark.parametrize(
    ("code", "http"),
    [(1, 200), (-1001, 400), (-1007, 400), (-1009, 400), (-9999, 500), (401, 401), (404, 404)]
    + [(500, 500)]
    + [(code, 422) for code in (-1002, -1003, -1004, -1005, -1006, -1008, -1010, -1011)]
    + [(code, 422) for code in (-1012, -1013, -1014, -1015, -1016, -1017, -1018)],
)
def test_http_status_per_code(code: int, http: int) -> None:
    assert http_status_for(code) == http


# -- one minimal failing callflow per code --------------------------------------------------------

CASES: list[tuple[str, Any, Mode, Platform | None, int, str | None]] = [
    ("not json", "{callflow: []}", Mode.REQUEST, None, -1001, None),
    ("scalar", "42", Mode.REQUEST, None, -1001, "$"),
    ("no callflow", {"validUntil": None}, Mode.REQUEST, None, -1001, "$.callflow"),
    ("callflow object", {"callflow": {"action": "hangup"}}, Mode.ANSWER, None, -1001, "$.callflow"),
    ("unknown profile", answer(say(voiceProfile="xx-XX-Nobody")), Mode.ANSWER, None, -1002,
     "$.callflow[0].params.voiceProfile"),
    ("min without max", answer(capture(minDigits=1)), Mode.ANSWER, None, -1003,
     "$.callflow[0].params.maxDigits"),
    ("no vca webhook", answer(capture()), Mode.ANSWER, Platform(vca_webhook=False), -1004,
     "$.callflow[0].action"),
    ("overall null", answer(capture(digitTimeout=5000, overallTimeout=None)), Mode.ANSWER, None,
     -1005, "$.callflow[0].params.overallTimeout"),
    ("overall below digit", answer(capture(digitTimeout=5000, overallTimeout=4999)), Mode.ANSWER,
     None, -1006, "$.callflow[0].params.overallTimeout"),
    ("unknown action", answer({"action": "dance"}), Mode.ANSWER, None, -1007,
     "$.callflow[0].action"),
    ("hash off no max", answer(capture(completeOnHash=False)), Mode.ANSWER, None, -1008,
     "$.callflow[0].params.maxDigits"),
    ("three calls", request(CALL, CALL), Mode.REQUEST, None, -1010, "$.callflow[2].action"),
    ("legacy destination", answer(play(destination="6512345678")), Mode.ANSWER, None, -1011,
     "$.callflow[0].params.destination"),
    ("hangup first", answer(HANGUP, say()), Mode.ANSWER, None, -1012, "$.callflow[0].action"),
    ("say first", {"callflow": [say()]}, Mode.REQUEST, None, -1013, "$.callflow[0].action"),
    ("empty request", {"callflow": []}, Mode.REQUEST, None, -1013, "$.callflow"),
    ("source refused", request(), Mode.REQUEST, Platform(allowed_sources=frozenset({"+6500"})),
     -1014, "$.callflow[0].params.source"),
    ("expired", request(validUntil="2019-12-31T23:59:59.999Z"), Mode.REQUEST, AT_2020, -1015,
     "$.validUntil"),
    ("NUL in text", answer(say(text="Hi\x00")), Mode.ANSWER, None, -1016,
     "$.callflow[0].params.text"),
    ("placeholder destination",
     answer({"action": "makeCall", "params": {"source": "1", "destination": "{{Number}}"}}),
     Mode.ANSWER, None, -1017, "$.callflow[0].params.destination"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "mode", "platform", "code", "path"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_code_has_a_minimal_failing_callflow(
    body: Any, mode: Mode, platform: Platform | None, code: int, path: str | None
) -> None:
    verdict = validate(body, mode=mode, platform=platform)
    assert not verdict.ok
    assert (verdict.status_code, verdict.http_status) == (code, http_status_for(code))
    assert verdict.status_message == STATUS_MESSAGES[code]
    assert verdict.findings[0] == Finding(code, STATUS_MESSAGES[code], path)


def test_the_oas_400_example_code_for_an_unknown_first_action() -> None:
    vendor = load_fixture("oas_api_response_400_minus1007.json")
    verdict = validate({"callflow": [{"action": "makeCAll"}]})
    assert (verdict.status_code, verdict.http_status) == (vendor["statusCode"], 400)
    assert verdict.findings[0].path == "$.callflow[0].action"


# -- -1009: schema errors with JSON paths ---------------------------------------------------------

SCHEMA_CASES: list[tuple[dict[str, Any], str]] = [
    ({"action": "say", "params": {"voiceProfile": PROFILE}},
     "$.callflow[0].params.text: is missing but it is required"),
    ({"action": "say"}, "$.callflow[0].params: is missing but it is required"),
    ({"action": "say", "params": "Hello"}, "$.callflow[0].params: string found, object expected"),
    (capture(maxDigits="3"), "$.callflow[0].params.maxDigits: string found, integer expected"),
    (capture(maxDigits=1.0), "$.callflow[0].params.maxDigits: number found, integer expected"),
    (capture(completeOnHash="no"),
     "$.callflow[0].params.completeOnHash: string found, boolean expected"),
    (say(repetition=True), "$.callflow[0].params.repetition: boolean found, integer expected"),
    (say(speed=None), "$.callflow[0].params.speed: null found, number expected"),
    (say(repetition=4), "$.callflow[0].params.repetition: must have a maximum value of 3"),
    (say(speed=0.25), "$.callflow[0].params.speed: must have a minimum value of 0.5"),
    (capture(minDigits=0, maxDigits=2),
     "$.callflow[0].params.minDigits: must have a minimum value of 1"),
    (capture(maxDigits=0), "$.callflow[0].params.maxDigits: must have a minimum value of 1"),
    (capture(overallTimeout=0),
     "$.callflow[0].params.overallTimeout: must have a minimum value of 1"),
    (say(text="a" * 3001), "$.callflow[0].params.text: must be at most 3000 characters long"),
    (capture(failureMessage="a" * 3001),
     "$.callflow[0].params.failureMessage: must be at most 3000 characters long"),
    (say(volume=3), "$.callflow[0].params.volume: is not defined in the schema and the schema "
     "does not allow additional properties"),
    ({"action": "sayAndCapture", "params": {"prompt_message": "Hi", "voiceProfile": PROFILE}},
     "$.callflow[0].params.promptMessage: is missing but it is required"),
    ({"action": "hangup", "params": {}}, "$.callflow[0].params: is not defined in the schema "
     "and the schema does not allow additional properties"),
    (play(fileUrl="ftp://x.example/a.mp3"), "$.callflow[0].params.fileUrl: does not match the "
     "regex pattern ^(?i:https?)://\\S+$"),
    ({"action": "makeCall", "params": {"source": 6561115777, "destination": "6512345678"}},
     "$.callflow[0].params.source: integer found, string expected"),
]  # fmt: skip


@pytest.mark.parametrize(("entry", "detail"), SCHEMA_CASES)
def test_schema_errors_are_1009_with_the_json_path(entry: dict[str, Any], detail: str) -> None:
    verdict = validate(answer(entry), mode=Mode.ANSWER)
    assert (verdict.status_code, verdict.http_status) == (-1009, 400)
    assert verdict.status_message == f"Invalid call flow entry provided. {detail}"
    assert verdict.findings[0].path == detail.split(":")[0]


def test_snake_case_param_is_reported_as_undefined_too() -> None:
    entry = {"action": "sayAndCapture", "params": {"prompt_message": "Hi", "voiceProfile": PROFILE}}
    paths = [f.path for f in validate(answer(entry), mode=Mode.ANSWER).findings]
    assert paths == ["$.callflow[0].params.promptMessage", "$.callflow[0].params.prompt_message"]


def test_an_entry_that_is_not_an_object_is_a_schema_error() -> None:
    verdict = validate(["hangup"], mode=Mode.ANSWER)
    assert verdict.status_code == -1009
    assert verdict.status_message.endswith("$.callflow[0]: string found, object expected")


@pytest.mark.parametrize(
    ("top", "mode", "detail"),
    [
        ({"validUntil": "<utc_timestamp>"}, Mode.REQUEST,
         "$.validUntil: is not a valid date-time (expected YYYY-MM-DDTHH:MM:SS.SSSZ)"),
        ({"validUntil": "2030-01-01"}, Mode.REQUEST,
         "$.validUntil: is not a valid date-time (expected YYYY-MM-DDTHH:MM:SS.SSSZ)"),
        ({"validUntil": 1735689600}, Mode.REQUEST, "$.validUntil: integer found, string expected"),
        ({"clientRequestId": 7}, Mode.REQUEST, "$.clientRequestId: integer found, string expected"),
        ({"clientActionId": ["a"]}, Mode.ANSWER, "$.clientActionId: array found, string expected"),
        ({"clientActionId": "menu"}, Mode.REQUEST, "$.clientActionId: is not defined in the "
         "schema and the schema does not allow additional properties"),
        ({"validUntil": "2030-01-01T00:00:00Z"}, Mode.ANSWER, "$.validUntil: is not defined in "
         "the schema and the schema does not allow additional properties"),
        ({"call flow": 1}, Mode.ANSWER, '$["call flow"]: is not defined in the schema and the '
         "schema does not allow additional properties"),
    ],
)  # fmt: skip
def test_top_level_fields_are_checked_per_mode(
    top: dict[str, Any], mode: Mode, detail: str
) -> None:
    verdict = validate(request(**top), mode=mode, platform=AT_2020)
    assert verdict.status_code == -1009
    assert verdict.status_message == f"Invalid call flow entry provided. {detail}"


def test_top_level_fields_allowed_in_each_mode() -> None:
    full_request = request(validUntil="2030-01-01T00:00:00Z", clientRequestId="r-1")
    assert validate(full_request, platform=AT_2020).ok
    assert validate({"callflow": [HANGUP], "clientActionId": "menu"}, mode=Mode.ANSWER).ok
    assert validate({"callflow": [HANGUP], "clientActionId": None}, mode=Mode.ANSWER).ok


# -- per-code rules in detail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"voiceProfile": None},
        {"voiceProfile": 5},
        {"voiceProfile": "en-us-benjaminrus"},
        {"voiceProfile": ""},
    ],
)
def test_voice_profile_problems_are_1002_not_1009(params: dict[str, Any]) -> None:
    verdict = validate(answer(say(**params)), mode=Mode.ANSWER)
    assert verdict.codes == (-1002,)


def test_missing_voice_profile_is_1002() -> None:
    entry = {"action": "sayAndCapture", "params": {"promptMessage": "Press 1"}}
    assert validate(answer(entry), mode=Mode.ANSWER).codes == (-1002,)


def test_voice_profiles_come_from_the_platform() -> None:
    body = answer(say(voiceProfile="sv-SE-Sofie"))
    assert validate(body, mode=Mode.ANSWER).status_code == -1002
    platform = Platform(voice_profiles=frozenset({"sv-SE-Sofie"}))
    assert validate(body, mode=Mode.ANSWER, platform=platform).ok
    assert validate(answer(say()), mode=Mode.ANSWER, platform=platform).status_code == -1002


def test_voice_profile_on_play_file_is_an_unknown_param() -> None:
    verdict = validate(answer(play(voiceProfile=PROFILE)), mode=Mode.ANSWER)
    assert verdict.codes == (-1009,)


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"minDigits": 1, "maxDigits": 1}, ()),
        ({"minDigits": 2, "maxDigits": 5}, ()),
        ({"maxDigits": 40}, ()),
        ({"minDigits": 1}, (-1003,)),
        ({"minDigits": 1, "maxDigits": None}, (-1003,)),
        ({"minDigits": 3, "maxDigits": 2}, (-1003,)),
        ({"minDigits": 1, "maxDigits": 0}, (-1003,)),
        ({"minDigits": 1, "maxDigits": "2"}, (-1009, -1003)),
        ({"completeOnHash": False, "maxDigits": 25}, ()),
        ({"completeOnHash": False, "maxDigits": 1}, ()),
        ({"completeOnHash": False}, (-1008,)),
        ({"completeOnHash": False, "maxDigits": 26}, (-1008,)),
        ({"completeOnHash": False, "maxDigits": 0}, (-1008,)),
        ({"completeOnHash": True, "maxDigits": 26}, ()),
        ({"completeOnHash": False, "minDigits": 1}, (-1003, -1008)),
    ],
)
def test_digit_count_rules(params: dict[str, Any], codes: tuple[int, ...]) -> None:
    assert validate(answer(capture(**params)), mode=Mode.ANSWER).codes == codes


TIMEOUTS = [
    # digitTimeout, overallTimeout (absent when missing), lenient codes, strict codes
    ({"digitTimeout": 10000, "overallTimeout": 10000}, (), (-1006,)),
    ({"digitTimeout": 5000}, (), (-1005,)),
    ({"digitTimeout": 5000, "overallTimeout": 6000}, (), ()),
    ({"digitTimeout": 5000, "overallTimeout": 4999}, (-1006,), (-1006,)),
    ({"digitTimeout": 5000, "overallTimeout": None}, (-1005,), (-1005,)),
    ({"digitTimeout": 5000, "overallTimeout": 0}, (-1005,), (-1005,)),
    ({"digitTimeout": 5000, "overallTimeout": -1}, (-1005,), (-1005,)),
    ({"digitTimeout": 5000, "overallTimeout": "6000"}, (-1009, -1005), (-1009, -1005)),
    ({"overallTimeout": 30000}, (), ()),
    ({"digitTimeout": None, "overallTimeout": None}, (), ()),
]


@pytest.mark.parametrize(("params", "lenient", "strict"), TIMEOUTS)
def test_timeout_rules_lenient_and_strict(
    params: dict[str, Any], lenient: tuple[int, ...], strict: tuple[int, ...]
) -> None:
    body = answer(capture(**params))
    assert validate(body, mode=Mode.ANSWER).codes == lenient
    assert validate(body, mode=Mode.ANSWER, platform=Platform(strict_timeouts=True)).codes == strict


def test_strict_timeouts_refuse_the_vendor_examples() -> None:
    strict = Platform(strict_timeouts=True, now=lambda: PAST)
    assert validate(load_fixture("request_simple_ivr_initial.json"), platform=strict).codes == (
        -1006,
    )
    oas = load_fixture("oas_request_example1_ivr_dtmf_capture.json")
    assert validate(oas, platform=strict).codes == (-1005,)


@pytest.mark.parametrize(("webhook", "codes"), [(None, ()), (True, ()), (False, (-1004, -1004))])
def test_dtmf_callback_needs_a_vca_webhook(webhook: bool | None, codes: tuple[int, ...]) -> None:
    body = answer(capture(), say(), capture())
    platform = Platform(vca_webhook=webhook)
    assert validate(body, mode=Mode.ANSWER, platform=platform).codes == codes
    assert validate(answer(say()), mode=Mode.ANSWER, platform=platform).ok


VENDOR_NUMBERS = [
    "6512345678",
    "6561115777",
    "+6598888888",
    "+6568888888",
    "+6591178965",
    "+6531589338",
    "+6512341234",
    "+6590000000",
    "6587654321",
    "+14155552671",
    "+442071838750",
]
NOT_NUMBERS = [
    "{{Destination Phone Number}}",
    "{{Number to Call}}",
    "",
    "+",
    "abc",
    "+65 1234 5678",
    "+65-1234-5678",
    " 6512345678",
    "6512345678\n",
    "+0012345678",
    "12345",
    "+1234567890123456",
    "+65123456789012",
    "６５１２３４５６７８",
]


@pytest.mark.parametrize("number", VENDOR_NUMBERS)
def test_vendor_numbers_are_msisdns(number: str) -> None:
    assert is_msisdn(number)
    body = answer({"action": "makeCall", "params": {"source": "1", "destination": number}})
    assert validate(body, mode=Mode.ANSWER).ok


@pytest.mark.parametrize("number", NOT_NUMBERS)
def test_bad_destinations_are_1017(number: str) -> None:
    assert not is_msisdn(number)
    body = answer({"action": "makeCall", "params": {"source": "1", "destination": number}})
    assert validate(body, mode=Mode.ANSWER).codes == (-1017,)


def test_msisdn_results_are_cached() -> None:
    is_msisdn.cache_clear()
    for _ in range(3):
        is_msisdn("+6598888888")
    info = is_msisdn.cache_info()
    assert (info.misses, info.hits) == (1, 2)


@pytest.mark.parametrize(
    ("allowed", "source", "ok"),
    [
        ({"+6561115777"}, "6561115777", True),
        ({"6561115777"}, "+6561115777", True),
        ({"+65 6111 5777"}, "+6561115777", True),
        ({"+6561115777"}, "+6561115778", False),
        (set(), "+6561115777", False),
        ({"{{Virtual Number}}"}, "{{Virtual Number}}", False),
    ],
)
def test_source_must_be_allowed(allowed: set[str], source: str, ok: bool) -> None:
    call = {"action": "makeCall", "params": {"source": source, "destination": "6512345678"}}
    platform = Platform(allowed_sources=frozenset(allowed))
    assert validate(answer(call), mode=Mode.ANSWER, platform=platform).codes == (
        () if ok else (-1014,)
    )


def test_any_source_is_allowed_without_a_list() -> None:
    call = {"action": "makeCall", "params": {"source": "anything", "destination": "6512345678"}}
    assert validate(answer(call), mode=Mode.ANSWER).ok


def test_legacy_play_file_entry_is_1007_then_1011() -> None:
    legacy = load_fixture("oas_playfile_legacy_example.json")
    verdict = validate(request(legacy, HANGUP))
    assert verdict.findings == (
        Finding(-1007, STATUS_MESSAGES[-1007], "$.callflow[1].action"),
        Finding(-1011, STATUS_MESSAGES[-1011], "$.callflow[1].destination"),
    )
    assert verdict.http_status == 400


def test_legacy_play_file_object_alone_is_not_a_body() -> None:
    verdict = validate(load_fixture("oas_playfile_legacy_example.json"))
    assert (verdict.status_code, verdict.findings[0].path) == (-1001, "$.callflow")


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        (play(destination="6512345678"), "$.callflow[0].params.destination"),
        ({**play(), "destination": "6512345678"}, "$.callflow[0].destination"),
        (say(destination="6512345678"), "$.callflow[0].params.destination"),
        ({"action": "makeCall", "params": {"source": "1", "destination": ["6512345678"]}},
         "$.callflow[0].params.destination"),
        ({"action": "makeCall", "params": {"source": "1", "destination": "6512345678,6587654321"}},
         "$.callflow[0].params.destination"),
        ({"action": "makeCall", "params": {"source": "1", "destination": "6512345678; 658765"}},
         "$.callflow[0].params.destination"),
    ],
)  # fmt: skip
def test_extra_destinations_are_1011_only(entry: dict[str, Any], path: str) -> None:
    verdict = validate(answer(entry), mode=Mode.ANSWER)
    assert [(f.code, f.path) for f in verdict.findings] == [(-1011, path)]


@pytest.mark.parametrize(
    ("valid_until", "ok"),
    [
        ("2020-01-01T00:00:00.000Z", True),
        ("2020-01-01T00:00:00Z", True),
        ("2020-01-01T08:00:00+08:00", True),
        ("2020-01-01T07:59:59+08:00", False),
        ("2019-12-31T23:59:59.999Z", False),
        ("2019-12-31T23:59:59.999", False),
        ("2024-07-03T05:59:32.226Z", True),
    ],
)
def test_valid_until_is_compared_in_utc(valid_until: str, ok: bool) -> None:
    verdict = validate(request(validUntil=valid_until), platform=AT_2020)
    assert verdict.codes == (() if ok else (-1015,))


def test_valid_until_with_a_naive_clock_is_taken_as_utc() -> None:
    naive = Platform(now=lambda: datetime(2020, 1, 1))
    assert validate(request(validUntil="2019-12-31T23:59:59Z"), platform=naive).codes == (-1015,)
    assert validate(request(validUntil="2020-01-01T00:00:01Z"), platform=naive).ok


def test_valid_until_uses_the_real_clock_by_default() -> None:
    soon = datetime.now(timezone(timedelta(hours=8))) + timedelta(hours=1)
    assert validate(request(validUntil=soon.isoformat())).ok
    assert validate(request(validUntil="2024-07-03T05:59:32.226Z")).status_code == -1015


def test_valid_until_is_ignored_in_answer_mode_rules_only_as_unknown_field() -> None:
    verdict = validate(request(validUntil="2000-01-01T00:00:00Z"), mode=Mode.ANSWER)
    assert verdict.codes == (-1009,)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800", "\uffff"])
def test_refused_characters_in_spoken_text_are_1016(char: str) -> None:
    for entry, key in [
        (say(text=f"Hi{char}"), "text"),
        (capture(promptMessage=f"Hi{char}"), "promptMessage"),
        (capture(successMessage=char), "successMessage"),
        (capture(failureMessage=char), "failureMessage"),
    ]:
        verdict = validate(answer(entry), mode=Mode.ANSWER)
        assert [(f.code, f.path) for f in verdict.findings] == [
            (-1016, f"$.callflow[0].params.{key}")
        ]


def test_ordinary_text_is_accepted() -> None:
    text = "Line one,\tline two\r\nÉtoile ★ 日本語 — 1 & 2 < 3 'quoted' \"double\""
    assert validate(answer(say(text=text)), mode=Mode.ANSWER).ok


@pytest.mark.parametrize(
    ("actions", "codes"),
    [
        ([HANGUP], ()),
        ([say(), HANGUP], ()),
        ([HANGUP, HANGUP], (-1012,)),
        ([HANGUP, say(), HANGUP], (-1012,)),
        ([CALL, CALL], ()),
        ([CALL, CALL, CALL], (-1010,)),
        ([CALL, CALL, CALL, CALL], (-1010, -1010)),
        ([], ()),
    ],
)
def test_count_and_hangup_rules_in_answers(
    actions: list[dict[str, Any]], codes: tuple[int, ...]
) -> None:
    assert validate(answer(*actions), mode=Mode.ANSWER).codes == codes


# -- several findings and their order -------------------------------------------------------------


def test_every_problem_is_reported_in_the_platforms_order() -> None:
    body = {
        "validUntil": "2019-01-01T00:00:00Z",
        "callflow": [
            say(voiceProfile="nobody"),
            {"action": "dance"},
            capture(minDigits=2, completeOnHash=False, digitTimeout=10, overallTimeout=5, x=1),
            CALL,
            {"action": "makeCall", "params": {"source": "1", "destination": "{{B}}"}},
            CALL,
            HANGUP,
            say(text="\x00"),
        ],
    }
    verdict = validate(body, platform=Platform(vca_webhook=False, now=lambda: PAST))
    assert [(f.code, f.path) for f in verdict.findings] == [
        (-1007, "$.callflow[1].action"),
        (-1009, "$.callflow[2].params.x"),
        (-1013, "$.callflow[0].action"),
        (-1010, "$.callflow[5].action"),
        (-1012, "$.callflow[6].action"),
        (-1002, "$.callflow[0].params.voiceProfile"),
        (-1003, "$.callflow[2].params.maxDigits"),
        (-1008, "$.callflow[2].params.maxDigits"),
        (-1006, "$.callflow[2].params.overallTimeout"),
        (-1004, "$.callflow[2].action"),
        (-1017, "$.callflow[4].params.destination"),
        (-1016, "$.callflow[7].params.text"),
        (-1015, "$.validUntil"),
    ]
    assert (verdict.status_code, verdict.http_status) == (-1007, 400)


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ({"callflow": [say(), {"action": "say"}]}, -1009),  # schema before first-action rule
        ({"callflow": [{"action": "say"}, {"action": "dance"}]}, -1009),  # by entry
        ({"callflow": [{"action": "dance"}, {"action": "say"}]}, -1007),
        ({"callflow": [say(), CALL, CALL, CALL]}, -1013),
        ({"callflow": [CALL, CALL, CALL, HANGUP, HANGUP]}, -1010),
        ({"callflow": [CALL, HANGUP, say(voiceProfile="x")]}, -1012),
        ({"callflow": [CALL, say(voiceProfile="x", text="\x00")]}, -1002),
        ({"callflow": [{"action": "makeCall", "params": {"source": "1", "destination": "x"}},
                       capture()]}, -1004),
    ],
)  # fmt: skip
def test_which_code_is_reported_first(body: dict[str, Any], first: int) -> None:
    platform = Platform(vca_webhook=False)
    verdict = validate(body, platform=platform)
    assert verdict.status_code == first
    assert verdict.findings[0].code == first
    assert len(verdict.findings) >= 2


# -- modes ----------------------------------------------------------------------------------------


def test_answer_mode_has_no_make_call_first_rule() -> None:
    body = answer(say(), HANGUP)
    assert validate(body, mode=Mode.ANSWER).ok
    assert validate(body, mode=Mode.REQUEST).codes == (-1013,)
    assert validate(body, mode="answer").ok  # type: ignore[arg-type]


def test_mode_values() -> None:
    assert (Mode.REQUEST.value, Mode.ANSWER.value) == ("request", "answer")
    assert validate(request()).ok


# -- input kinds ----------------------------------------------------------------------------------


def test_every_input_kind_gets_the_same_verdict() -> None:
    body = request(say(voiceProfile="nobody"), clientRequestId="r-1")
    text = json.dumps(body)
    expected = validate(body)
    assert expected.codes == (-1002,)
    for kind in (text, text.encode(), bytearray(text.encode()), body):
        assert validate(kind) == expected
    assert validate(body["callflow"]) == expected
    assert validate(tuple(body["callflow"])) == expected


def test_a_bare_list_is_the_callflow() -> None:
    assert validate([HANGUP], mode=Mode.ANSWER).ok
    assert validate([HANGUP]).codes == (-1013,)


def test_models_are_judged_by_the_rules() -> None:
    good = wire.SendCallflowRequest(
        callflow=[wire.make_call("6512345678", "6561115777"), wire.say("Hi", PROFILE)],
        valid_until="2030-01-01T00:00:00.000Z",
    )
    assert validate(good, platform=AT_2020).ok
    answer_model = wire.Callflow(
        callflow=[wire.say("Hi", "nobody"), wire.hangup(), wire.hangup()], client_action_id="m"
    )
    assert validate(answer_model, mode=Mode.ANSWER).codes == (-1012, -1002)
    assert validate(answer_model, mode=Mode.REQUEST).codes == (-1009, -1013, -1012, -1002)
    capture_model = wire.Callflow(
        callflow=[wire.say_and_capture("Hi", PROFILE, digit_timeout=9, overall_timeout=5)]
    )
    assert validate(capture_model, mode=Mode.ANSWER).codes == (-1006,)
    bad_number = wire.Callflow(callflow=[wire.make_call("{{x}}", "1")])
    assert validate(bad_number, mode=Mode.ANSWER).codes == (-1017,)


def test_models_are_not_parsed_or_revalidated(monkeypatch: pytest.MonkeyPatch) -> None:
    model = wire.Callflow(callflow=[wire.make_call("6512345678", "1"), wire.say("Hi", PROFILE)])

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("re-parsed a model")

    monkeypatch.setattr(json, "loads", refuse)
    for cls in wire.ACTION_TYPES.values():
        monkeypatch.setattr(cls, "model_validate", refuse)
    assert validate(model, mode=Mode.ANSWER).ok


GARBAGE: list[Any] = [
    "",
    "   ",
    "null",
    "true",
    '"callflow"',
    "[1, 2",
    '{"callflow": [}',
    "[NaN]",
    '{"callflow": [], "x": Infinity}',
    b"\xff\xfe\x00",
    b"",
    None,
    3.5,
    object(),
    {"callflow": "hangup"},
    {"callflow": None},
    {"Callflow": []},
    {"actions": [HANGUP]},
    "[" * 100_000,
]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_is_1001(body: Any) -> None:
    verdict = validate(body, mode=Mode.ANSWER)
    assert (verdict.status_code, verdict.http_status) == (-1001, 400)
    assert verdict.status_message == "Invalid JSON request body"
    assert len(verdict.findings) == 1


def test_an_unexpected_failure_is_9999_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken_clock() -> datetime:
        raise RuntimeError("clock on fire")

    with caplog.at_level(logging.ERROR, logger="ivrkit.rules"):
        verdict = validate(
            request(validUntil="2030-01-01T00:00:00Z"), platform=Platform(now=broken_clock)
        )
    assert (verdict.status_code, verdict.http_status) == (-9999, 500)
    assert verdict.status_message == "An unknown error has occurred"
    assert "clock on fire" in caplog.text


def test_a_bad_mode_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="bogus"):
        validate(request(), mode="bogus")  # type: ignore[arg-type]


# -- verdict, check, describe ---------------------------------------------------------------------


def test_a_valid_verdict() -> None:
    verdict = validate(request())
    assert verdict == Verdict(1, "Created", 200, ())
    assert verdict.ok and verdict.codes == ()


def test_response_of_a_created_session_matches_the_vendor_shape() -> None:
    vendor = load_fixture("api_response_success_simple_ivr.json")
    response = validate(request()).to_response(
        session_id=vendor["sessionId"], request_id=vendor["callFlowRequestId"]
    )
    assert response.created
    assert response.to_wire() == vendor


def test_response_of_a_refused_request_matches_the_vendor_shape() -> None:
    vendor = load_fixture("oas_api_response_422_minus1013.json")
    verdict = validate({"callflow": [say()]})
    response = verdict.to_response(session_id="ignored", request_id=vendor["callFlowRequestId"])
    assert not response.created
    assert response.to_wire() == vendor
    assert "sessionId" not in response.to_wire()
    assert verdict.http_status == 422


def test_response_without_ids() -> None:
    assert validate(request()).to_response().to_wire() == {
        "statusCode": 1,
        "statusMessage": "Created",
        "sessionStatus": "CREATED",
    }


def test_check_raises_the_platforms_code() -> None:
    check(request())
    check(answer(HANGUP), mode=Mode.ANSWER)
    with pytest.raises(ValidationFailed) as caught:
        check(answer(say(text="")), mode=Mode.REQUEST)
    assert (caught.value.status_code, caught.value.status_message) == (
        -1013,
        STATUS_MESSAGES[-1013],
    )
    with pytest.raises(ValidationFailed, match="-1014"):
        check(request(), platform=Platform(allowed_sources=frozenset()))


def test_describe_is_one_line() -> None:
    assert describe(validate(request())) == "1 Created"
    assert describe(validate(answer(say(text=None)), mode=Mode.ANSWER)) == (
        "-1009 Invalid call flow entry provided. "
        "$.callflow[0].params.text: null found, string expected"
    )
    odd = describe(validate(answer({**say(), "new\nline": 1}), mode=Mode.ANSWER))
    assert "\n" not in odd
    assert odd.startswith('-1009 Invalid call flow entry provided. $.callflow[0]["new\\nline"]')


# -- the vendor's examples -------------------------------------------------------------------------

PLACEHOLDER_REQUESTS = {"request_advanced_ivr_initial.json"}
TEMPLATES = {"request_vm_tts_template.json", "request_vm_playfile_template.json"}
PLACEHOLDER_ANSWERS = {
    "vca_response_advanced_ivr_l1_connect_call.json",
    "vca_response_advanced_ivr_l2_post_call.json",
}
REQUESTS = sorted(
    {*fixture_names("request_"), *fixture_names("oas_request_")} - TEMPLATES - PLACEHOLDER_REQUESTS
)
ANSWERS = sorted(set(fixture_names("vca_response_")) - PLACEHOLDER_ANSWERS)


def _destinations(body: dict[str, Any]) -> list[str]:
    return [a["params"]["destination"] for a in body["callflow"] if a["action"] == "makeCall"]


def test_fixture_groups_are_complete() -> None:
    assert len(REQUESTS) == 7 and "oas_request_send_callflow_default.json" in REQUESTS
    assert len(ANSWERS) == 23
    for name in [*REQUESTS, *ANSWERS]:
        assert not any("{{" in d for d in _destinations(load_fixture(name)))
    for name in [*PLACEHOLDER_REQUESTS, *PLACEHOLDER_ANSWERS]:
        assert any(d.startswith("{{") for d in _destinations(load_fixture(name)))


@pytest.mark.parametrize("name", REQUESTS)
def test_vendor_requests_are_created(name: str) -> None:
    body = load_fixture(name)
    verdict = validate(body, platform=AT_2020)
    assert verdict.findings == ()
    assert verdict.ok
    assert validate(wire.SendCallflowRequest.from_wire(body), platform=AT_2020).ok


@pytest.mark.parametrize("name", ANSWERS)
def test_vendor_answers_are_accepted(name: str) -> None:
    body = load_fixture(name)
    assert validate(body, mode=Mode.ANSWER).findings == ()
    assert validate(wire.Callflow.from_wire(body), mode=Mode.ANSWER).ok


@pytest.mark.parametrize("name", sorted(PLACEHOLDER_ANSWERS))
def test_vendor_answers_with_placeholder_numbers_are_1017(name: str) -> None:
    verdict = validate(load_fixture(name), mode=Mode.ANSWER)
    assert [(f.code, f.path) for f in verdict.findings] == [
        (-1017, "$.callflow[0].params.destination")
    ]


def test_vendor_request_with_placeholder_numbers_is_1017() -> None:
    verdict = validate(load_fixture("request_advanced_ivr_initial.json"), platform=AT_2020)
    assert [(f.code, f.path) for f in verdict.findings] == [
        (-1017, "$.callflow[0].params.destination")
    ]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_vendor_templates_have_no_valid_until(name: str) -> None:
    verdict = validate(load_fixture(name), platform=AT_2020)
    assert [(f.code, f.path) for f in verdict.findings] == [(-1009, "$.validUntil")]


@pytest.mark.parametrize("name", fixture_names("action_vm_"))
def test_single_action_objects_are_not_bodies(name: str) -> None:
    assert validate(load_fixture(name)).status_code == -1001
    assert validate([CALL, load_fixture(name)]).ok


def test_vendor_requests_expire() -> None:
    body = load_fixture("request_vm_tts.json")
    after = Platform(now=lambda: datetime(2024, 7, 3, 5, 59, 33, tzinfo=UTC))
    assert validate(body, platform=after).codes == (-1015,)
    assert validate(body, platform=after).http_status == 422
