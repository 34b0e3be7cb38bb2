"""Simulated phones: how each number answers, which keys it presses, when it hangs up."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from ivrkit.simulator._base import ControlModel
from ivrkit.simulator.numbers import e164

__all__ = ["Answer", "PhoneBook", "PhoneScript"]


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
    press: list[str] = Field(default_factory=list)
    hangup_after: float | None = Field(
        default=None, ge=0, description="Seconds after answering at which this party hangs up."
    )
    press_delay: int | None = Field(
        default=None, ge=0, description="Milliseconds before each key (default from the config)."
    )
    ring_seconds: float | None = Field(
        default=None, ge=0, description="Seconds of ringing before answering (or busy/failing)."
    )
    hangup_during_prompt: int | None = Field(
        default=None, ge=1, description="Hang up halfway through the Nth capture prompt (1-based)."
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
