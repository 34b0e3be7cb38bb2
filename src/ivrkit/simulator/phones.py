"""Simulated phones: how each number answers, which keys it presses, when it hangs up."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from ivrkit.simulator._base import ControlModel
from ivrkit.simulator.numbers import e164

__all__ = ["MAX_SCRIPT_SECONDS", "Answer", "PhoneBook", "PhoneScript"]

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
    left, presses nothing, so the capture times out.
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


class PhoneBook:
    """Scripts by number (E.164); a number nobody scripted answers and presses nothing."""

    def __init__(self) -> None:
        self._scripts: dict[str, PhoneScript] = {}

    def set(self, number: str, script: PhoneScript) -> str:
        key = e164(number)
        self._scripts[key] = script
        return key

    def get(self, number: str) -> PhoneScript:
        return self._scripts.get(e164(number), PhoneScript())

    def delete(self, number: str) -> bool:
        return self._scripts.pop(e164(number), None) is not None

    def items(self) -> list[tuple[str, PhoneScript]]:
        return list(self._scripts.items())

    def clear(self) -> None:
        self._scripts.clear()
