"""Pure parts of the simulator: clocks, digit collection, status derivation, numbers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivrkit.simulator._account.numbers import country_of, e164
from ivrkit.simulator._calls.capture import (
    CaptureDefaults,
    CaptureSettings,
    Collector,
    key_times,
    simulate,
)
from ivrkit.simulator._calls.legs import session_status
from ivrkit.simulator._timelines import (
    InstantTimelines,
    ManualTimeline,
    ScaledTimelines,
    iso_ms,
    iso_s,
    race,
)
from ivrkit.wire import say_and_capture

START = datetime(2026, 1, 13, 8, 26, 58, 123456, tzinfo=UTC)


def settings(**params: object) -> CaptureSettings:
    return CaptureSettings.from_params(say_and_capture("Menu", "en-GB-Emma", **params).params)  # type: ignore[arg-type]


# -- clocks -------------------------------------------------------------------------------------


def test_time_formats() -> None:
    assert iso_ms(START) == "2026-01-13T08:26:58.123Z"
    assert iso_s(START) == "2026-01-13T08:26:58Z"


def test_max_timeline_skips_waits_but_keeps_time_moving() -> None:
    timeline = InstantTimelines(wall=lambda: START).timeline()

    async def run() -> None:
        await timeline.sleep(90)
        await timeline.sleep(30)

    asyncio.run(asyncio.wait_for(run(), 1))
    assert timeline.now() == START + timedelta(seconds=120)


def test_max_clock_gives_live_sessions_real_time() -> None:
    clock = InstantTimelines()
    assert clock.timeline(live=True).now() <= clock.now() + timedelta(seconds=1)
    assert type(clock.timeline(live=True)).__name__ == "_ScaledTimeline"


def test_scaled_clock_runs_faster() -> None:
    ticks = iter([0.0, 2.0])
    timeline = ScaledTimelines(10, wall=lambda: START, mono=lambda: next(ticks)).timeline()
    assert timeline.now() == START + timedelta(seconds=20)
    with pytest.raises(ValueError):
        ScaledTimelines(0)


def test_manual_clock_wakes_sleepers_in_order() -> None:
    clock = ManualTimeline(START)
    woke: list[tuple[str, datetime]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    async def run() -> None:
        tasks = [asyncio.ensure_future(sleeper(n, s)) for n, s in (("b", 5), ("a", 2), ("c", 9))]
        await asyncio.sleep(0)
        assert clock.pending == 3
        await clock.advance(6)
        assert [name for name, _ in woke] == ["a", "b"]
        assert clock.now() == START + timedelta(seconds=6)
        await clock.advance(3)
        await asyncio.gather(*tasks)

    asyncio.run(asyncio.wait_for(run(), 2))
    assert woke == [
        ("a", START + timedelta(seconds=2)),
        ("b", START + timedelta(seconds=5)),
        ("c", START + timedelta(seconds=9)),
    ]


def test_race_returns_the_result_or_none_when_time_runs_out() -> None:
    clock = ManualTimeline(START)

    async def quick() -> str:
        return "done"

    async def run() -> tuple[str | None, str | None]:
        first = await race(clock, quick(), 5)
        never: asyncio.Event = asyncio.Event()
        pending = asyncio.ensure_future(race(clock, never.wait(), 5))
        while clock.pending == 0:  # the timer registers itself once its task has run
            await asyncio.sleep(0)
        await clock.advance(5)
        second = await pending
        return first, None if second is None else "woke"

    assert asyncio.run(asyncio.wait_for(run(), 2)) == ("done", None)
    assert clock.pending == 0


# -- digit collection ---------------------------------------------------------------------------


def test_unset_params_take_the_documented_defaults() -> None:
    resolved = settings()
    defaults = CaptureDefaults()
    assert (resolved.min_digits, resolved.max_digits, resolved.tries) == (
        defaults.min_digits,
        defaults.max_digits,
        defaults.no_of_tries,
    )
    assert resolved.overall_timeout == defaults.overall_timeout_ms / 1000
    assert resolved.complete_on_hash is True and resolved.digit_timeout is None


def test_max_digits_ends_entry() -> None:
    result = simulate(settings(max_digits=2, complete_on_hash=False), key_times("123", 0.5))
    assert (result.dtmf, result.ignored, result.reason) == ("12", "3", "max-digits")


def test_hash_ends_entry_and_is_not_reported() -> None:
    result = simulate(settings(max_digits=5, complete_on_hash=True), key_times("42#", 0.5))
    assert (result.dtmf, result.reason) == ("42", "hash")


def test_hash_is_a_key_when_complete_on_hash_is_false() -> None:
    result = simulate(settings(max_digits=3, complete_on_hash=False), key_times("4#", 0.5))
    assert (result.digits, result.reason) == ("4#", "overall-timeout")


def test_too_few_digits_is_a_failure() -> None:
    flow = settings(min_digits=3, max_digits=4, digit_timeout=2000, overall_timeout=10000)
    result = simulate(flow, key_times("12", 0.5))
    assert (result.digits, result.dtmf, result.reason) == ("12", None, "digit-timeout")


def test_digit_timeout_counts_from_the_last_key() -> None:
    flow = settings(max_digits=4, digit_timeout=1000, overall_timeout=10000)
    result = simulate(flow, [(0.9, "1"), (1.8, "2"), (3.5, "3")])
    assert (result.dtmf, result.ignored) == ("12", "3")


def test_overall_timeout_bounds_entry() -> None:
    flow = settings(max_digits=9, digit_timeout=3000, overall_timeout=4000)
    result = simulate(flow, key_times("12345678", 1.0))
    assert (result.digits, result.reason) == ("123", "overall-timeout")


def test_no_key_is_no_input() -> None:
    result = simulate(settings(), [])
    assert (result.dtmf, result.digits) == (None, "")
    assert Collector(settings()).dtmf is None  # nothing is reported before entry ended


@given(
    keys=st.text(alphabet="0123456789*#", max_size=12),
    delay=st.floats(min_value=0.05, max_value=4),
    min_digits=st.integers(1, 5),
    extra=st.integers(0, 5),
    hash_ends=st.booleans(),
)
def test_reported_digits_always_respect_the_limits(
    keys: str, delay: float, min_digits: int, extra: int, hash_ends: bool
) -> None:
    flow = settings(
        min_digits=min_digits,
        max_digits=min_digits + extra,
        digit_timeout=3000,
        overall_timeout=10000,
        complete_on_hash=hash_ends,
    )
    result = simulate(flow, key_times(keys, delay))
    assert result.done
    assert keys.startswith(result.digits), "digits are the first keys pressed, in order"
    if hash_ends:
        assert "#" not in result.digits
    else:
        assert result.digits + result.ignored == keys, "every key is collected or ignored"
    if result.dtmf is not None:
        assert min_digits <= len(result.dtmf) <= min_digits + extra
        assert not hash_ends or "#" not in result.dtmf


# -- statuses and numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call_a", "call_b", "expected"),
    [
        ("COMPLETED", "COMPLETED", "COMPLETED"),
        ("COMPLETED", "NO_ANSWER", "NO_ANSWER"),
        ("COMPLETED", "BUSY", "BUSY"),
        ("COMPLETED", "FAILED", "FAILED"),
        ("CANCELED", "CANCELED", "CANCELED"),
        ("COMPLETED", None, "COMPLETED"),
        ("NO_ANSWER", None, "NO_ANSWER"),
        ("COMPLETED", "ERROR", "ERROR"),
    ],
)
def test_session_status_follows_the_derivation_table(
    call_a: str, call_b: str | None, expected: str
) -> None:
    assert session_status(call_a, call_b) == expected


def test_an_error_overrides_the_legs() -> None:
    assert session_status("COMPLETED", None, error=True) == "ERROR"


def test_numbers_are_reported_in_e164_with_their_country() -> None:
    assert e164("6512345678") == "+6512345678"
    assert e164("+65 1234-5678") == "+6512345678"
    assert country_of("6512345678") == "SG"
    assert country_of("+94778066434") == "LK"
    assert country_of("+999") is None
