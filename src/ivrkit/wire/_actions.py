"""Callflow actions (makeCall, say, sayAndCapture, playFile, hangup) with their params and limits.

Shapes and ranges live here; the platform's cross-field rules and status codes live in
:mod:`ivrkit.rules`. Defaults are documented, not emitted: an unset param is left to the
platform, because the vendor's own documents disagree on several defaults (see ``DEFAULTS``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from ivrkit.wire._base import Outbound

MAX_TEXT_LENGTH = 3000
"""Longest `say.text` / `sayAndCapture.promptMessage` the platform accepts."""

MAX_MAKE_CALLS = 2
"""At most two legs per session: the caller and one bridged party (no conferencing)."""

MAX_DIGITS_WITHOUT_HASH = 25
"""`maxDigits` must be 1..25 when `completeOnHash` is false."""

ACTION_NAMES: tuple[str, ...] = ("makeCall", "say", "sayAndCapture", "playFile", "hangup")

LAST_ACTION_NAMES: dict[str, str] = {
    "makeCall": "MAKE_CALL",
    "say": "SAY",
    "sayAndCapture": "SAY_AND_CAPTURE",
    "playFile": "PLAY_FILE",
    "hangup": "HANGUP",
}
"""Action name → the UPPER_SNAKE form a session summary reports as `lastAction`."""

DEFAULTS: dict[str, dict[str, tuple[object, object]]] = {
    "say": {"repetition": (1, 1), "speed": (1, 1.0)},
    "sayAndCapture": {
        "speed": (1, 1.0),
        "minDigits": (1, None),
        "maxDigits": (1, 25),
        "overallTimeout": (5000, 30000),
        "completeOnHash": (True, True),
        "noOfTries": (1, 3),
    },
    "playFile": {"repetition": (1, 1)},
}
"""Documented defaults as (OpenAPI document, call-action-handling guide); they conflict (A2-A4)."""

Repetition = Annotated[int, Field(ge=1, le=3)]
Speed = Annotated[float, Field(ge=0.5, le=2.0)]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


class Params(Outbound):
    """Base of every action's params: strict types, unknown params refused."""

    model_config = ConfigDict(strict=True)


class MakeCallParams(Params):
    source: str = Field(description="Caller ID, E.164 with or without '+'.")
    destination: str = Field(description="Number to dial, E.164 with or without '+'.")
    call_recording: bool | None = Field(
        default=None, description="Record the session (needs a recording push config)."
    )


class SayParams(Params):
    text: Text
    voice_profile: str = Field(description="A speechProfileCode, e.g. en-US-BenjaminRUS.")
    repetition: Repetition = 1
    speed: Speed = 1.0


class SayAndCaptureParams(Params):
    prompt_message: Text
    voice_profile: str
    speed: Speed | None = 1.0
    repetition: Repetition | None = Field(
        default=None, description="Shown by the simple-IVR guide though not in the OpenAPI (A8)."
    )
    min_digits: Annotated[int, Field(ge=1)] | None = None
    max_digits: int | None = Field(
        default=None, description="1..25 when completeOnHash is false (checked by the rules)."
    )
    digit_timeout: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Milliseconds; needs overallTimeout (checked by the rules)."
    )
    overall_timeout: int | None = Field(default=None, description="Milliseconds.")
    complete_on_hash: bool | None = None
    no_of_tries: Annotated[int, Field(ge=1)] | None = None
    success_message: Text | None = None
    failure_message: Text | None = None


class PlayFileParams(Params):
    file_url: str = Field(pattern=r"^(?i:https?)://\S+$", description="http(s) URL of mp3/wav.")
    repetition: Repetition = 1


class Action(Outbound):
    """One entry of a callflow: ``{"action": <name>, "params": {...}}``."""

    name: ClassVar[str]
    """The platform's name for this action (`makeCall`, `say`, ...)."""

    def model_post_init(self, context: Any, /) -> None:
        # The tag must always reach the wire, even when built in Python with its default.
        self.__pydantic_fields_set__.add("action")

    @property
    def last_action(self) -> str:
        """How a session summary names this action (`MAKE_CALL`, `SAY_AND_CAPTURE`, ...)."""
        return LAST_ACTION_NAMES[self.name]


class MakeCall(Action):
    name: ClassVar[str] = "makeCall"
    action: Literal["makeCall"] = "makeCall"
    params: MakeCallParams


class Say(Action):
    name: ClassVar[str] = "say"
    action: Literal["say"] = "say"
    params: SayParams


class SayAndCapture(Action):
    name: ClassVar[str] = "sayAndCapture"
    action: Literal["sayAndCapture"] = "sayAndCapture"
    params: SayAndCaptureParams


class PlayFile(Action):
    name: ClassVar[str] = "playFile"
    action: Literal["playFile"] = "playFile"
    params: PlayFileParams


class Hangup(Action):
    name: ClassVar[str] = "hangup"
    action: Literal["hangup"] = "hangup"


AnyAction = Annotated[
    MakeCall | Say | SayAndCapture | PlayFile | Hangup, Field(discriminator="action")
]
"""A callflow entry of any kind, told apart by its `action` name."""

ACTION_TYPES: dict[str, type[Action]] = {
    cls.name: cls for cls in (MakeCall, Say, SayAndCapture, PlayFile, Hangup)
}


def _given(**values: object) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}


def make_call(destination: str, source: str, *, call_recording: bool | None = None) -> MakeCall:
    """Dial ``destination`` showing ``source``; as a session's second call it bridges the two."""
    return MakeCall(
        params=MakeCallParams.model_validate(
            _given(source=source, destination=destination, call_recording=call_recording)
        )
    )


def say(
    text: str, voice_profile: str, *, repetition: int | None = None, speed: float | None = None
) -> Say:
    """Speak ``text`` with text-to-speech."""
    return Say(
        params=SayParams.model_validate(
            _given(text=text, voice_profile=voice_profile, repetition=repetition, speed=speed)
        )
    )


def say_and_capture(
    prompt_message: str,
    voice_profile: str,
    *,
    min_digits: int | None = None,
    max_digits: int | None = None,
    digit_timeout: int | None = None,
    overall_timeout: int | None = None,
    complete_on_hash: bool | None = None,
    no_of_tries: int | None = None,
    success_message: str | None = None,
    failure_message: str | None = None,
    speed: float | None = None,
    repetition: int | None = None,
) -> SayAndCapture:
    """Speak a prompt and collect digits; the platform then sends a CALL_ACTION webhook."""
    return SayAndCapture(
        params=SayAndCaptureParams.model_validate(
            _given(
                prompt_message=prompt_message,
                voice_profile=voice_profile,
                min_digits=min_digits,
                max_digits=max_digits,
                digit_timeout=digit_timeout,
                overall_timeout=overall_timeout,
                complete_on_hash=complete_on_hash,
                no_of_tries=no_of_tries,
                success_message=success_message,
                failure_message=failure_message,
                speed=speed,
                repetition=repetition,
            )
        )
    )


def play_file(file_url: str, *, repetition: int | None = None) -> PlayFile:
    """Play an mp3/wav file downloaded from ``file_url``."""
    return PlayFile(
        params=PlayFileParams.model_validate(_given(file_url=file_url, repetition=repetition))
    )


def hangup() -> Hangup:
    """End every leg and the session."""
    return Hangup()
