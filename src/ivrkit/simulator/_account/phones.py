"""Simulated phones: how each number answers, which keys it presses, when it hangs up.

A :class:`PhoneBook` holds scripts by exact number, by number range, by prefix and a default,
looked up in that order; every lookup costs a few dictionary probes (plus a binary search among
the ranges of the number's length), however many phones are scripted.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from ivrkit.simulator._account.numbers import e164
from ivrkit.simulator._base import ControlModel

__all__ = [
    "MAX_PATTERNS",
    "MAX_SCRIPT_SECONDS",
    "Answer",
    "PhoneBook",
    "PhoneEntry",
    "PhonePattern",
    "PhoneScript",
]

MAX_SCRIPT_SECONDS = 86400.0
"""Longest wait a script may ask for (a day): far past any session, and safe for date maths."""
MAX_PRESS_DELAY_MS = 60_000
MAX_PRESS_ENTRIES = 1000
MAX_KEYS_PER_ENTRY = 100


class Answer(StrEnum):
    YES = "yes"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAIL = "fail"


class PhoneScript(ControlModel):
    """What a phone does when the platform calls it (or when it calls a virtual number).

    ``press`` holds one entry per capture prompt the phone hears, in order (every try of a
    `sayAndCapture` is a prompt): the keys pressed after that prompt. An empty string, or no entry
    left, presses nothing, so the capture times out. With ``counts: captures`` an entry (and
    ``hangup_during_prompt``) counts whole `sayAndCapture` actions instead: every try of one
    capture gets the same keys, as a caller who re-enters them when asked again.
    """

    answer: Answer = Answer.YES
    press: list[str] = Field(default_factory=list, max_length=MAX_PRESS_ENTRIES)
    hangup_after: float | None = Field(
        default=None,
        ge=0,
        le=MAX_SCRIPT_SECONDS,
        description="Seconds after answering at which this party hangs up.",
    )
    press_delay: int | None = Field(
        default=None,
        ge=0,
        le=MAX_PRESS_DELAY_MS,
        description="Milliseconds before each key (default from the config).",
    )
    ring_seconds: float | None = Field(
        default=None,
        ge=0,
        le=MAX_SCRIPT_SECONDS,
        description="Seconds of ringing before answering (or busy/failing).",
    )
    hangup_during_prompt: int | None = Field(
        default=None,
        ge=1,
        le=MAX_PRESS_ENTRIES,
        description="Hang up halfway through the Nth capture prompt (1-based).",
    )
    counts: Literal["prompts", "captures"] = Field(
        default="prompts",
        description=(
            "What `press` entries and `hangup_during_prompt` count: every prompt (each try of a "
            "sayAndCapture), or every capture (all its tries get the same entry)."
        ),
    )
    interactive: bool = Field(
        default=False,
        description="Keys and hang-up come live from POST /sim/v1/sessions/{id}/press|hangup.",
    )
    stepped: bool = Field(
        default=False,
        description=(
            "A test drives the call step by step: prompts take no time, and each capture waits "
            '(up to `patience` real seconds) for keys from /press; `"silence": true` there '
            "lets the capture end as a timeout would. Implies interactive."
        ),
    )
    patience: float = Field(
        default=30.0, gt=0, le=600, description="Real seconds a stepped capture waits for keys."
    )

    @field_validator("answer", mode="before")
    @classmethod
    def _yaml_yes(cls, value: Any) -> Any:
        return "yes" if value is True else value  # YAML 1.1 reads an unquoted `yes` as true

    @field_validator("press")
    @classmethod
    def _keys_only(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if len(entry) > MAX_KEYS_PER_ENTRY:
                raise ValueError(f"a press entry holds at most {MAX_KEYS_PER_ENTRY} keys")
            bad = sorted({key for key in entry if key not in "0123456789*#"})
            if bad:
                raise ValueError(f"press entries may hold only 0-9, * and #; got {bad}")
        return entries


MAX_PATTERNS = 10_000
"""Patterns one phone book holds (each exact number is an entry of its own, not a pattern)."""
_NUMBER_DIGITS = 15


def _digits(value: Any, what: str, *, shortest: int) -> str:
    """The digits of a number or prefix (``+65 6000-1`` → ``65600001``); YAML may give an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string of digits")
    digits = e164(value)[1:]
    if not digits.isdigit() or not shortest <= len(digits) <= _NUMBER_DIGITS:
        raise ValueError(
            f"{what} must be {shortest} to {_NUMBER_DIGITS} digits with an optional '+', "
            f"got {value!r}"
        )
    return digits


class PhoneEntry(ControlModel):
    """One scripted number (stored in E.164)."""

    number: str
    script: PhoneScript = Field(default_factory=PhoneScript)

    @field_validator("number", mode="before")
    @classmethod
    def _e164(cls, value: Any) -> str:
        return "+" + _digits(value, "number", shortest=6)


class PhonePattern(ControlModel):
    """Scripts for many numbers at once: a ``prefix``, or a range ``from``…``to`` (inclusive,
    numbers of one length). ``script`` is what every matching phone does; ``scripts`` instead
    deals them out in turn — the Nth number of the range (or, for a prefix, the number whose
    remaining digits read N) gets ``scripts[N % len(scripts)]``.
    """

    prefix: str | None = None
    start: str | None = Field(default=None, alias="from")
    end: str | None = Field(default=None, alias="to")
    script: PhoneScript | None = None
    scripts: list[PhoneScript] | None = Field(default=None, min_length=1, max_length=1000)

    @field_validator("prefix", mode="before")
    @classmethod
    def _prefix(cls, value: Any) -> str | None:
        return None if value is None else "+" + _digits(value, "prefix", shortest=1)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _bound(cls, value: Any) -> str | None:
        return None if value is None else "+" + _digits(value, "from/to", shortest=6)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        ranged = self.start is not None or self.end is not None
        if (self.prefix is not None) == ranged:
            raise ValueError("a pattern has either a prefix or a range (from and to)")
        if ranged:
            if self.start is None or self.end is None:
                raise ValueError("a range needs both from and to")
            if len(self.start) != len(self.end) or int(self.start) > int(self.end):
                raise ValueError("a range runs from a number to a larger one of the same length")
        if (self.script is None) == (self.scripts is None):
            raise ValueError("a pattern has either a script or a list of scripts")
        return self

    @property
    def key(self) -> str:
        """What a later pattern must repeat to replace this one."""
        return self.prefix if self.prefix is not None else f"{self.start}..{self.end}"

    def pick(self, offset: int) -> PhoneScript:
        if self.scripts is not None:
            return self.scripts[offset % len(self.scripts)]
        assert self.script is not None
        return self.script


@dataclass
class _Patterns:
    """Patterns indexed for lookup: prefixes by their digits, ranges sorted per length."""

    by_key: dict[str, PhonePattern] = field(default_factory=dict)
    prefixes: dict[str, PhonePattern] = field(default_factory=dict)
    prefix_lengths: list[int] = field(default_factory=list)
    ranges: dict[int, list[tuple[int, int, PhonePattern]]] = field(default_factory=dict)

    @classmethod
    def build(cls, patterns: list[PhonePattern]) -> _Patterns:
        index = cls()
        for pattern in patterns:
            index.by_key[pattern.key] = pattern
        if len(index.by_key) > MAX_PATTERNS:
            raise ValueError(f"a phone book holds at most {MAX_PATTERNS} patterns")
        for pattern in index.by_key.values():
            if pattern.prefix is not None:
                index.prefixes[pattern.prefix[1:]] = pattern
            else:
                assert pattern.start is not None and pattern.end is not None
                bounds = (int(pattern.start[1:]), int(pattern.end[1:]), pattern)
                index.ranges.setdefault(len(pattern.start) - 1, []).append(bounds)
        index.prefix_lengths = sorted({len(prefix) for prefix in index.prefixes}, reverse=True)
        for ranges in index.ranges.values():
            ranges.sort(key=lambda bounds: bounds[0])
            for before, after in zip(ranges, ranges[1:], strict=False):
                if after[0] <= before[1]:
                    raise ValueError(
                        f"the ranges {before[2].key} and {after[2].key} overlap; "
                        "give each number at most one range"
                    )
        return index

    def find(self, digits: str) -> PhoneScript | None:
        ranges = self.ranges.get(len(digits))
        if ranges:
            value = int(digits)
            at = bisect.bisect_right(ranges, value, key=lambda bounds: bounds[0]) - 1
            if at >= 0 and ranges[at][0] <= value <= ranges[at][1]:
                low, _, ranged = ranges[at]
                return ranged.pick(value - low)
        for length in self.prefix_lengths:
            prefixed = self.prefixes.get(digits[:length])
            if prefixed is not None:
                rest = digits[length:]
                return prefixed.pick(int(rest) if rest else 0)
        return None


class PhoneBook:
    """Scripts by number (E.164), then by range, then by longest prefix, then the default;
    a number none of them covers answers and presses nothing."""

    def __init__(self) -> None:
        self._scripts: dict[str, PhoneScript] = {}
        self._patterns = _Patterns()
        self.default: PhoneScript | None = None

    def set(self, number: str, script: PhoneScript) -> str:
        key = e164(number)
        self._scripts[key] = script
        return key

    def get(self, number: str) -> PhoneScript:
        key = e164(number)
        script = self._scripts.get(key)
        if script is None and key[1:].isdigit():
            script = self._patterns.find(key[1:])
        return script or self.default or PhoneScript()

    def delete(self, number: str) -> bool:
        return self._scripts.pop(e164(number), None) is not None

    def items(self) -> list[tuple[str, PhoneScript]]:
        return list(self._scripts.items())

    def __len__(self) -> int:
        return len(self._scripts)

    @property
    def patterns(self) -> list[PhonePattern]:
        return list(self._patterns.by_key.values())

    def load(
        self,
        phones: Sequence[PhoneEntry],
        patterns: Sequence[PhonePattern] = (),
        *,
        default: PhoneScript | None = None,
        set_default: bool = False,
        replace: bool = False,
    ) -> None:
        """Add (or, with ``replace``, put in place of everything) numbers and patterns; a
        pattern with the key of an existing one replaces it; ``default`` replaces the default
        when given (``set_default``: even when None). All or nothing: ValueError when the
        patterns overlap or are too many, and then the book is left as it was."""
        kept = [] if replace else self.patterns
        index = _Patterns.build([*kept, *patterns]) if patterns or replace else self._patterns
        scripts = {} if replace else self._scripts
        scripts.update((entry.number, entry.script) for entry in phones)
        self._scripts, self._patterns = scripts, index
        if default is not None or set_default or replace:
            self.default = default

    def clear(self) -> None:
        self._scripts.clear()
        self._patterns = _Patterns()
        self.default = None
