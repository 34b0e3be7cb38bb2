"""Digit collection for `sayAndCapture`, as a pure state machine (spec §4.3, simulator model).

Times are seconds counted from the end of the prompt. Entry ends at the first of: `maxDigits`
keys entered (whatever `completeOnHash` says); `#` when `completeOnHash` is true (the `#` is not
part of the digits); `digitTimeout` without a key since the prompt ended or the last key;
`overallTimeout` since the prompt ended. The digits are valid when their count is within
`minDigits..maxDigits`. With `completeOnHash` false, `#` and `*` are ordinary keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ivrkit.wire import SayAndCaptureParams

__all__ = ["CaptureDefaults", "CaptureSettings", "Collector", "EndReason", "simulate"]


@dataclass(frozen=True)
class CaptureDefaults:
    """What an unset `sayAndCapture` param means. The OpenAPI document's defaults (the guide's
    differ: maxDigits 25, overallTimeout 30000 ms, noOfTries 3 — spec A2-A4)."""

    min_digits: int = 1
    max_digits: int = 1
    overall_timeout_ms: int = 5000
    complete_on_hash: bool = True
    no_of_tries: int = 1


class EndReason(StrEnum):
    MAX_DIGITS = "max-digits"
    HASH = "hash"
    DIGIT_TIMEOUT = "digit-timeout"
    OVERALL_TIMEOUT = "overall-timeout"


@dataclass(frozen=True)
class CaptureSettings:
    min_digits: int
    max_digits: int
    digit_timeout: float | None
    """Seconds allowed between keys (and before the first), or None."""
    overall_timeout: float
    """Seconds allowed for the whole entry, from the end of the prompt."""
    complete_on_hash: bool
    tries: int

    @classmethod
    def from_params(
        cls, params: SayAndCaptureParams, defaults: CaptureDefaults | None = None
    ) -> CaptureSettings:
        base = defaults or CaptureDefaults()
        min_digits = params.min_digits if params.min_digits is not None else base.min_digits
        max_digits = params.max_digits if params.max_digits is not None else base.max_digits
        max_digits = max(max_digits, min_digits, 1)
        overall = params.overall_timeout or base.overall_timeout_ms
        hash_ends = base.complete_on_hash
        if params.complete_on_hash is not None:
            hash_ends = params.complete_on_hash
        return cls(
            min_digits=min_digits,
            max_digits=max_digits,
            digit_timeout=params.digit_timeout / 1000 if params.digit_timeout else None,
            overall_timeout=max(overall, 1) / 1000,
            complete_on_hash=hash_ends,
            tries=params.no_of_tries or base.no_of_tries,
        )


class Collector:
    """Collects one try's keys; feed keys in time order, then :meth:`expire` if still open."""

    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self.digits = ""
        self.ignored = ""
        self.reason: EndReason | None = None
        self._last_key_at = 0.0

    @property
    def done(self) -> bool:
        return self.reason is not None

    @property
    def deadline(self) -> float:
        """When entry times out if no further key comes (seconds after the prompt)."""
        overall = self.settings.overall_timeout
        if self.settings.digit_timeout is None:
            return overall
        return min(overall, self._last_key_at + self.settings.digit_timeout)

    def feed(self, key: str, at: float) -> bool:
        """A key pressed ``at`` seconds after the prompt; True once entry has ended."""
        if self.done:
            self.ignored += key
            return True
        if at >= self.deadline:
            self.expire()
            self.ignored += key
            return True
        self._last_key_at = at
        if key == "#" and self.settings.complete_on_hash:
            self.reason = EndReason.HASH
            return True
        self.digits += key
        if len(self.digits) >= self.settings.max_digits:
            self.reason = EndReason.MAX_DIGITS
        return self.done

    def expire(self) -> None:
        """Time ran out: say which timeout ended entry."""
        if self.done:
            return
        digit = self.settings.digit_timeout
        if digit is not None and self._last_key_at + digit < self.settings.overall_timeout:
            self.reason = EndReason.DIGIT_TIMEOUT
        else:
            self.reason = EndReason.OVERALL_TIMEOUT

    @property
    def valid(self) -> bool:
        return self.settings.min_digits <= len(self.digits) <= self.settings.max_digits

    @property
    def dtmf(self) -> str | None:
        """The digits to report, or None when the entry is not valid."""
        return self.digits if self.done and self.valid else None


def key_times(keys: str, delay: float) -> list[tuple[float, str]]:
    """A scripted phone presses each key ``delay`` seconds after the prompt or previous key."""
    return [(delay * (index + 1), key) for index, key in enumerate(keys)]


def simulate(settings: CaptureSettings, keys: Iterable[tuple[float, str]]) -> Collector:
    """Run one try to its end with keys at known times: what the session does, without waiting."""
    collector = Collector(settings)
    for at, key in keys:
        if collector.feed(key, at):
            continue
    collector.expire()
    return collector
