"""The IVR tree language: what a tree file may say, as typed models.

A tree is a set of named nodes and an entry node. Each node is one mapping with a single key
naming its kind (``menu``, ``say``, ``play``, ``transfer``, ``hangup``, ``goto``). The engine
(:mod:`ivrkit.trees.engine`) turns a node into the callflow the platform runs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RETRY = "retry"
"""Route target meaning "play this menu again with its retry prompt"."""

NodeName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")]


class TreeModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(TreeModel):
    """Tree-wide settings applied to every prompt unless the node says otherwise."""

    voice_profile: str = "en-US-BenjaminRUS"
    speed: float | None = None
    repetition: int | None = None


class Capture(TreeModel):
    """The digit-collection params of a menu, written as the platform names them (snake_case).

    Only what the file sets is sent, so an explicit ``null`` (as the vendor's guide sends for
    ``successMessage``) reaches the platform as ``null``.
    """

    min_digits: int | None = None
    max_digits: int | None = None
    digit_timeout: int | None = None
    overall_timeout: int | None = None
    complete_on_hash: bool | None = None
    no_of_tries: int | None = None
    success_message: str | None = None
    failure_message: str | None = None
    speed: float | None = None
    repetition: int | None = None


class Menu(TreeModel):
    prompt: str
    retry_prompt: str | None = Field(
        default=None, description="Spoken instead of the prompt when the menu is played again."
    )
    capture: Capture = Field(default_factory=Capture)
    routes: dict[str, str] = Field(default_factory=dict, description="Digits → node name.")
    on_invalid: str = Field(default=RETRY, description="'retry' or a node, for unrouted digits.")
    on_no_input: str = Field(default=RETRY, description="'retry' or a node, when nothing came.")
    max_retries: int | None = Field(
        default=None, ge=0, description="Replays before on_max_retries; unlimited when unset."
    )
    on_max_retries: str | None = Field(
        default=None, description="Node after max_retries replays; hang up when unset."
    )
    voice_profile: str | None = None


class Say(TreeModel):
    text: str
    next: str | None = Field(default=None, description="Node that follows; hang up when unset.")
    voice_profile: str | None = None
    repetition: int | None = None
    speed: float | None = None


class Play(TreeModel):
    url: str
    next: str | None = None
    repetition: int | None = None


class Transfer(TreeModel):
    to: str = Field(description="Number to bridge the caller to; may use {templates}.")
    caller_id: str = Field(default="{customer}", description="Caller ID shown to the callee.")
    after: str | None = Field(
        default=None, description="Node answered when the platform asks after the bridge ends."
    )


class Hangup(TreeModel):
    say: str | None = Field(default=None, description="Optional goodbye spoken before hanging up.")


class Goto(TreeModel):
    node: str


class Node(TreeModel):
    """One node: exactly one of its kinds is set."""

    menu: Menu | None = None
    say: Say | None = None
    play: Play | None = None
    transfer: Transfer | None = None
    hangup: Hangup | None = None
    goto: Goto | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        if isinstance(data, dict):
            kinds = [key for key in data if key in KINDS]
            if len(kinds) != 1:
                raise ValueError(
                    f"a node has exactly one kind ({', '.join(KINDS)}); found "
                    f"{', '.join(kinds) if kinds else 'none'}"
                )
            if data[kinds[0]] is None:
                data = {kinds[0]: {}}
            if kinds[0] == "goto" and isinstance(data["goto"], str):
                data = {"goto": {"node": data["goto"]}}
        return data

    @property
    def kind(self) -> str:
        for kind in KINDS:
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated nodes have a kind")


KINDS: tuple[str, ...] = ("menu", "say", "play", "transfer", "hangup", "goto")


class TreeSpec(TreeModel):
    """A whole tree file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    title: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    numbers: dict[str, str] = Field(
        default_factory=dict, description="Named numbers, usable as {name} in templates."
    )
    dial_format: Literal["digits", "e164"] = Field(
        default="digits", description="How the caller's number is written: 6512345678 or +65…"
    )
    entry: str
    nodes: dict[NodeName, Node]
