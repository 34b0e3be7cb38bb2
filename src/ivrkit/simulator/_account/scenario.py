"""Many phones at once: the body of ``PUT /sim/v1/phones`` and the file of
``ivrkit simulator --phones``, YAML or JSON.

Either a list of ``{number, script}`` entries, or a mapping::

    default: {answer: no-answer}          # any number nothing else covers
    phones:                               # exact numbers first
      - {number: "+6512345678", script: {press: ["1"]}}
    patterns:                             # then ranges, then the longest prefix
      - {from: "+6560000000", to: "+6560009999",
         scripts: [{press: ["1"]}, {press: ["2"]}, {answer: busy}]}
      - {prefix: "+44", script: {answer: busy}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from ivrkit.errors import ConfigError
from ivrkit.simulator._account.phones import MAX_PATTERNS, PhoneEntry, PhonePattern, PhoneScript
from ivrkit.simulator._base import ControlModel

__all__ = ["PhoneBookSize", "PhoneScenario", "load_scenario"]

MAX_SCENARIO_PHONES = 1_000_000


class PhoneScenario(ControlModel):
    """Scripts for many numbers; ``default`` given (even null) replaces the book's default."""

    phones: list[PhoneEntry] = Field(default_factory=list, max_length=MAX_SCENARIO_PHONES)
    patterns: list[PhonePattern] = Field(default_factory=list, max_length=MAX_PATTERNS)
    default: PhoneScript | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        return {"phones": data} if isinstance(data, list) else data

    @property
    def sets_default(self) -> bool:
        return "default" in self.model_fields_set


class PhoneBookSize(ControlModel):
    """What ``PUT /sim/v1/phones`` answers: how much the phone book now holds."""

    phones: int
    patterns: int
    has_default: bool


def load_scenario(path: Path) -> PhoneScenario:
    """Read a scenario file (``.json``, else YAML); ConfigError says what is wrong and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the phone scenario {path}: {exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} is not valid {_kind(path)}: {exc}") from None
    try:
        return PhoneScenario.model_validate(data if data is not None else [])
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ConfigError(
            f"{path}: {where}: {first['msg']}{more}. A scenario is a list of "
            "{number, script} entries, or a mapping of phones, patterns and default."
        ) from None


def _kind(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "YAML"
