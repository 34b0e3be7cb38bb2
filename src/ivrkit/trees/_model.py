"""The IVR tree language: what a tree file may say, as typed models.

A tree is a set of named nodes and an entry node. Each node is one mapping with a single key
naming its kind:

- ``menu``: a prompt and digit routes, with what to do on invalid input and on no input;
- ``collect``: a multi-digit entry kept in a session variable, with validation;
- ``say`` / ``play``: speak a text / play a file, then go on (or hang up);
- ``transfer``: bridge the caller to a number, with a node for after the bridged call;
- ``branch``: go on by a condition (business hours, a variable's value);
- ``hook``: call the user's Python function or HTTP endpoint and route on its result;
- ``hangup`` (with an optional goodbye) and ``goto``.

The same models are the Python API: build a :class:`TreeSpec` in code and pass it to
:class:`ivrkit.trees.Tree`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from ivrkit._outcomes import CATEGORIES, LABEL_PATTERN
from ivrkit.calendars._days import DAYS as DAYS
from ivrkit.calendars._days import expand_days as expand_days
from ivrkit.calendars._model import CALENDAR_NAME
from ivrkit.errors import WrongLayerError
from ivrkit.wire import WireModel

RETRY = "retry"
"""Route target meaning "play this node again with its retry prompt"."""

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$"
NodeName = Annotated[str, Field(pattern=NAME_PATTERN)]
VariableName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]

Text = str | dict[str, str]
CountsAs = Literal["contained", "transferred", "abandoned", "failed"]
"""What an outcome label counts as in reports (:data:`ivrkit._outcomes.CATEGORIES`)."""

_LABEL_SCHEMA = {"type": "string", "pattern": LABEL_PATTERN}
_OUTCOME_SCHEMA: dict[str, Any] = {
    "anyOf": [
        _LABEL_SCHEMA,
        {
            "type": "object",
            "properties": {
                "label": _LABEL_SCHEMA,
                "counts_as": {"enum": list(CATEGORIES)},
            },
            "required": ["label"],
            "additionalProperties": False,
        },
        {"type": "null"},
    ],
}
"""A prompt: one text, or one per language code (``{en: Hello, es: Hola}``)."""


NODE_FOR_ACTION = {
    "Say": "SayNode",
    "Hangup": "HangupNode",
    "PlayFile": "Play",
    "MakeCall": "Transfer",
    "SayAndCapture": "Menu",
}
"""The tree node a user most likely meant when they passed a wire action."""


class TreeModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_wire_models(cls, data: Any) -> Any:
        """Refuse, in one clear line, a wire model (``ivrkit.Say``) given for a tree node."""
        fields = data.items() if isinstance(data, dict) else [("", data)]
        for key, value in fields:
            if isinstance(value, WireModel):
                wire_name = type(value).__name__
                node = NODE_FOR_ACTION.get(wire_name)
                where = f"{cls.__name__}.{key}" if key else cls.__name__
                hint = f"use ivrkit.trees.{node}" if node else "use the models of ivrkit.trees"
                raise WrongLayerError(
                    f"{where} got ivrkit.{wire_name}, a wire action (what the platform receives), "
                    f"where a tree node belongs: {hint}"
                )
        return data


class Capture(TreeModel):
    """Digit-collection params, named as the platform names them (in snake_case).

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


class Language(TreeModel):
    voice_profile: str
    speed: float | None = None


class Defaults(TreeModel):
    """Tree-wide settings applied to every prompt unless the node says otherwise."""

    voice_profile: str = "en-US-BenjaminRUS"
    speed: float | None = None
    repetition: int | None = None
    language: str = "en"
    capture: Capture = Field(default_factory=Capture)


class Route(TreeModel):
    """Where a digit leads, and session variables it sets on the way."""

    to: str
    set: dict[VariableName, str] = Field(default_factory=dict)


class _Retrying(TreeModel):
    """What a node that collects input does when the input is wrong or missing."""

    retry_prompt: Text | None = Field(
        default=None, description="Spoken instead of the prompt when the node is played again."
    )
    on_invalid: str = Field(default=RETRY, description="'retry' or a node, for wrong input.")
    on_no_input: str = Field(default=RETRY, description="'retry' or a node, when nothing came.")
    max_retries: int | None = Field(
        default=None, ge=0, le=99, description="Replays before on_max_retries; unlimited if unset."
    )
    on_max_retries: str | None = Field(
        default=None, description="Node after max_retries replays; hang up when unset."
    )
    voice_profile: str | None = None


class Menu(_Retrying):
    prompt: Text
    capture: Capture = Field(default_factory=Capture)
    routes: dict[str, str | Route] = Field(default_factory=dict, description="Digits → node.")

    @field_validator("routes")
    @classmethod
    def _digit_keys(cls, routes: dict[str, str | Route]) -> dict[str, str | Route]:
        for digits in routes:
            if not re.fullmatch(r"[0-9*#]{1,25}", digits):
                raise ValueError(f"route key {digits!r} is not digits (0-9, * and #)")
        return routes

    def target(self, digits: str) -> Route | None:
        route = self.routes.get(digits)
        if route is None:
            return None
        return Route(to=route) if isinstance(route, str) else route


class Collect(_Retrying):
    """Collect a multi-digit entry ("enter your 6-digit booking number") into a variable."""

    prompt: Text
    variable: VariableName
    next: str
    min_digits: int = Field(default=1, ge=1, le=25)
    max_digits: int = Field(default=25, ge=1, le=25)
    pattern: str | None = Field(default=None, description="Regular expression the entry matches.")
    capture: Capture = Field(default_factory=Capture)

    @model_validator(mode="after")
    def _consistent(self) -> Collect:
        if self.min_digits > self.max_digits:
            raise ValueError("min_digits is above max_digits")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a regular expression: {exc}") from exc
        return self


class SayNode(TreeModel):
    text: Text
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


class HangupNode(TreeModel):
    say: Text | None = Field(default=None, description="Optional goodbye before hanging up.")


class Goto(TreeModel):
    node: str


class Hours(TreeModel):
    """Open hours in a time zone: ``{timezone: Asia/Singapore, days: mon-fri, open: "09:00",
    close: "21:00"}``."""

    timezone: str
    days: str | list[str] = "mon-sun"
    open: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    close: str = Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {zone!r}") from exc
        return zone

    @field_validator("days")
    @classmethod
    def _known_days(cls, days: str | list[str]) -> str | list[str]:
        expand_days(days)
        return days


class Condition(TreeModel):
    """One test: open ``hours``, open by a named ``calendar``, or a ``var`` that equals / is one
    of / matches / is set."""

    hours: Hours | None = None
    calendar: str | None = Field(
        default=None,
        pattern=CALENDAR_NAME,
        description="Holds while this calendar (named in the tree's calendars files) is open.",
    )
    var: VariableName | None = None
    equals: str | None = None
    one_of: list[str] | None = None
    matches: str | None = None
    is_set: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        kinds = [kind for kind in (self.hours, self.calendar, self.var) if kind is not None]
        if len(kinds) != 1:
            raise ValueError("a condition tests exactly one of hours, calendar or a var")
        if self.var is not None:
            tests = [
                t for t in (self.equals, self.one_of, self.matches, self.is_set) if t is not None
            ]
            if len(tests) != 1:
                raise ValueError(
                    "a var condition has exactly one of equals, one_of, matches, is_set"
                )
        return self


class Case(TreeModel):
    model_config = ConfigDict(populate_by_name=True)

    when: Condition = Field(alias="if")
    to: str


class Branch(TreeModel):
    model_config = ConfigDict(populate_by_name=True)

    cases: list[Case] = Field(min_length=1)
    otherwise: str = Field(alias="else")


class Hook(TreeModel):
    """Ask the user's code what comes next.

    ``python`` names a function registered with ``@tree.hook("name")`` (or ``module:function``);
    ``url`` is an HTTP endpoint that gets ``{"sessionId", "customer", "digits", "variables"}`` as
    a JSON POST and answers ``{"result": "...", "variables": {...}}``.
    """

    python: str | None = None
    url: str | None = None
    timeout: float = Field(default=3.0, gt=0, le=30)
    routes: dict[str, str] = Field(default_factory=dict, description="Result → node.")
    default: str = Field(description="Node for any other result, or when the hook fails.")

    @model_validator(mode="after")
    def _one_target(self) -> Hook:
        if (self.python is None) == (self.url is None):
            raise ValueError("a hook has exactly one of python or url")
        return self


class Node(TreeModel):
    """One node: exactly one of its kinds is set, and optionally the ``outcome`` a session that
    reaches it ends with (see :mod:`ivrkit._outcomes`)."""

    menu: Menu | None = None
    collect: Collect | None = None
    say: SayNode | None = None
    play: Play | None = None
    transfer: Transfer | None = None
    branch: Branch | None = None
    hook: Hook | None = None
    hangup: HangupNode | None = None
    goto: Goto | None = None
    outcome: Annotated[str | None, WithJsonSchema(_OUTCOME_SCHEMA)] = Field(
        default=None,
        pattern=LABEL_PATTERN,
        description=(
            "Outcome label of a session that reaches this node (resolved, agent, ...); written "
            "`outcome: {label: gave-up, counts_as: abandoned}` to say what it counts as."
        ),
    )
    counts_as: CountsAs | None = Field(
        default=None,
        description=(
            "What a session with this node's outcome counts as in reports: contained (served "
            "by the IVR), transferred (handed to a person), abandoned (left or sent away "
            "unserved), failed. Written inside `outcome:`; common labels have a built-in one."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        if isinstance(data, dict):
            label = data.get("outcome")
            declared = data.get("counts_as")
            if isinstance(label, dict):
                unknown = sorted(set(label) - {"label", "counts_as"})
                if unknown or "label" not in label:
                    raise ValueError(
                        "outcome is a label, or {label: <label>, counts_as: contained|"
                        "transferred|abandoned|failed}"
                    )
                label, declared = label["label"], label.get("counts_as", declared)
            data = {
                key: value for key, value in data.items() if key not in ("outcome", "counts_as")
            }
            kinds = [key for key in data if key in KINDS]
            if len(kinds) != 1 or len(data) != 1:
                other = [key for key in data if key not in KINDS]
                found = ", ".join(kinds + other) if data else "none"
                raise ValueError(f"a node has exactly one kind ({', '.join(KINDS)}); found {found}")
            kind = kinds[0]
            if data[kind] is None:
                data = {kind: {}}
            elif kind == "goto" and isinstance(data[kind], str):
                data = {kind: {"node": data[kind]}}
            elif kind == "say" and isinstance(data[kind], str):
                data = {kind: {"text": data[kind]}}
            if label is not None:
                data = {**data, "outcome": label}
            if declared is not None:
                if label is None:
                    raise ValueError("counts_as says what an outcome label counts as: add one")
                data = {**data, "counts_as": declared}
        return data

    @property
    def kind(self) -> str:
        for kind in KINDS:
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated nodes have a kind")

    @property
    def body(self) -> TreeModel:
        """The kind's own model (the value under the kind key)."""
        value: TreeModel = getattr(self, self.kind)
        return value


KINDS: tuple[str, ...] = (
    "menu",
    "collect",
    "say",
    "play",
    "transfer",
    "branch",
    "hook",
    "hangup",
    "goto",
)


class TreeSpec(TreeModel):
    """A whole tree file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    title: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    languages: dict[str, Language] = Field(
        default_factory=dict, description="Voice per language code, for prompts per language."
    )
    numbers: dict[str, str] = Field(
        default_factory=dict, description="Named numbers, usable as {name} in templates."
    )
    virtual_numbers: list[str] = Field(
        default_factory=list, description="Inbound numbers whose calls this tree answers."
    )
    dial_format: Literal["digits", "e164"] = Field(
        default="digits", description="How numbers are written: 6512345678 or +6512345678."
    )
    calendars: list[str] = Field(
        default_factory=list,
        description="Calendar files (or folders of them), relative to the tree file; branches "
        "name their calendars with `if: {calendar: NAME}`.",
    )
    entry: str
    nodes: dict[NodeName, Node] = Field(min_length=1)
