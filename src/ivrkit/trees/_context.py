"""What the engine knows about one call while answering one webhook."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivrkit.calendars import Switch
    from ivrkit.trees._position import RouteTaken

_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(digits))?\}")


@dataclass
class CallContext:
    """The caller, the session's variables (changed in place) and the language in use."""

    customer: str | None = None
    session_id: str | None = None
    digits: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    changed: dict[str, str] = field(default_factory=dict)
    routes: list[RouteTaken] = field(default_factory=list)
    """The routes taken while answering (filled by the engine)."""
    switches: dict[str, Switch] = field(default_factory=dict)
    """Emergency switches that are on, by calendar name (``*``: every calendar)."""

    def set(self, name: str, value: str) -> None:
        self.variables[name] = value
        self.changed[name] = value


def fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` with a value; ``{name:digits}`` speaks it digit by digit ("1 2 3").

    An unknown name is left as written, so a typo shows in the prompt instead of vanishing
    (and ``ivrkit lint`` reports it).
    """

    def value(match: re.Match[str]) -> str:
        name, style = match[1], match[2]
        if name not in values:
            return match[0]
        text = values[name]
        return " ".join(text) if style == "digits" else text

    return _TEMPLATE.sub(value, template)


def template_names(template: str) -> list[str]:
    return [match[1] for match in _TEMPLATE.finditer(template)]
