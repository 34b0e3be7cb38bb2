"""What ``ivrkit lint`` reports: one :class:`Issue` per problem, with a stable code and a place.

:data:`CODES` is the list of every code with its usual severity and meaning; the docs' table and
the CLI are built on it, so a code, once published, keeps its name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from ivrkit.trees._parse import mapping_index, position_of

Severity = Literal["error", "warning"]

CODES: dict[str, tuple[Severity, str]] = {
    "invalid-yaml": ("error", "the file is not YAML"),
    "invalid-tree": ("error", "the YAML is not a tree (a missing or misspelt field, a bad value)"),
    "duplicate-key": ("error", "a key is written twice in one mapping; YAML keeps only the last"),
    "dangling-target": ("error", "the entry, a route, next, after, case, else... names no node"),
    "retry-not-allowed": (
        "error",
        "`retry` used where only a node may be named (it means retry only in on_invalid and "
        "on_no_input); the call would fail there",
    ),
    "unreachable-node": ("error", "no path from the entry leads to this node"),
    "no-way-out": (
        "error",
        "a menu or collect (or a loop of them) from which no hangup, transfer or final say/play "
        "can be reached: the caller can only leave by hanging up",
    ),
    "loop-never-waits": (
        "error",
        "a loop of say/play/branch/hook/goto nodes that never waits for the caller",
    ),
    "chain-too-long": (
        "error",
        "a run of say/play/branch/hook/goto nodes longer than one answer may pass through",
    ),
    "prompt-too-long": ("error", "a spoken text longer than the platform's 3000 characters"),
    "unknown-voice-profile": ("error", "a voice profile the platform does not know (-1002)"),
    "callflow-rejected": (
        "error",
        "a node's callflow (or the initial request) the platform would refuse, with its code",
    ),
    "route-uncapturable": (
        "error",
        "a route key the menu's capture can never deliver (length outside min/max digits, or `#` "
        "while `#` ends the entry)",
    ),
    "unknown-template": (
        "error",
        "a {name} that is no number, not `customer`, and no variable the tree sets (a warning "
        "when the tree has a hook, which may set any variable)",
    ),
    "route-needs-max-digits": (
        "warning",
        "a route key of several digits in a menu that leaves max_digits to the platform, whose "
        "default is 1 in the OpenAPI document",
    ),
    "unrouted-digit": ("warning", "a prompt says `press N` and the menu has no route for N"),
    "odd-outcome": (
        "warning",
        "a node's outcome label that reads like an outcome derived from the summary (busy, "
        "no-answer, ...), differs from another label only in case or punctuation, or is said "
        "to count as two categories",
    ),
    "guessed-outcome": (
        "warning",
        "an outcome label that does not say what it counts as (contained, transferred, "
        "abandoned, failed) and is not a built-in one: reports guess",
    ),
    "unmentioned-route": (
        "warning",
        "a route key no text of the menu mentions, in a menu whose prompt says `press N`",
    ),
    "no-invalid-handling": (
        "warning",
        "a wrong key replays the same prompt forever: on_invalid is retry, with no max_retries, "
        "retry_prompt or failure_message",
    ),
    "unused-retry-setting": (
        "warning",
        "max_retries / on_max_retries that never take effect",
    ),
    "missing-translation": (
        "warning",
        "a per-language text without one of the tree's languages (the default text is spoken)",
    ),
    "unknown-language": (
        "warning",
        "a text or a route's `set: {language: ...}` for a language the tree does not have",
    ),
    "unknown-calendar": (
        "error",
        "a branch asks, or an `{hours:NAME}` speaks, a calendar that no file of the tree's "
        "`calendars:` list defines",
    ),
    "hours-language": (
        "warning",
        "an `{hours:NAME}` in a language ivrkit has no words for hours in (they are spoken in "
        "English)",
    ),
    "calendar-unreadable": (
        "error",
        "a calendar file, or an .ics file it imports, cannot be read or is not valid",
    ),
    "calendar-weekly-gap": (
        "warning",
        "a weekday with no hours at all between two open days (Wednesday missing)",
    ),
    "calendar-overlap": (
        "warning",
        "two ranges of one day overlap, an override equals the weekly hours, or an override "
        "hides a holiday",
    ),
    "calendar-outside-years": (
        "warning",
        "a holiday or override dated outside the calendar's `years`",
    ),
    "calendar-ics-skipped": (
        "warning",
        "an iCalendar event with times, not a whole day: not imported as a holiday",
    ),
}
"""Every lint code → (usual severity, what it means)."""


@dataclass(frozen=True)
class Issue:
    """One problem of a tree; ``line`` and ``column`` are 1-based, None for trees built in code."""

    severity: Severity
    code: str
    message: str
    node: str | None = None
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "node": self.node,
            "line": self.line,
            "column": self.column,
        }


class IssueCollector:
    """Issues as the checks find them, placed in the YAML when there is one."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root
        self.issues: list[Issue] = []
        self._codes: dict[str, set[str]] = {}

    def add(
        self,
        code: str,
        message: str,
        *,
        node: str | None = None,
        at: tuple[str, ...] = (),
        severity: Severity | None = None,
        key: bool = False,
    ) -> None:
        """Report ``code`` at the YAML path ``at`` (its key rather than its value when ``key``)."""
        line: int | None = None
        column: int | None = None
        if at:
            line, column = key_position(self.root, at) if key else position_of(self.root, at)
        level = severity or CODES[code][0]
        self.append(Issue(level, code, message, node, line, column))

    def append(self, issue: Issue) -> None:
        self.issues.append(issue)
        if issue.node is not None:
            self._codes.setdefault(issue.node, set()).add(issue.code)

    def codes_for(self, node: str) -> set[str]:
        return self._codes.get(node, set())

    def ordered(self) -> list[Issue]:
        """File order; issues without a position keep the order they were found in."""
        return sorted(
            self.issues,
            key=lambda i: (i.line is None, i.line or 0, i.column or 0),
        )


def key_position(root: yaml.Node | None, loc: tuple[str, ...]) -> tuple[int | None, int | None]:
    """Line and column of the key that names ``loc``'s last part (``main:`` rather than the
    node body under it); the value's position when the key cannot be found."""
    if not loc:
        return None, None
    parent: yaml.Node | None = root
    for part in loc[:-1]:
        if not isinstance(parent, yaml.MappingNode):
            return position_of(root, loc)
        parent = mapping_index(parent).get(part, (None, None))[1]
    if isinstance(parent, yaml.MappingNode):
        found = mapping_index(parent).get(loc[-1])
        if found is not None:
            return found[0].start_mark.line + 1, found[0].start_mark.column + 1
    return position_of(root, loc)


def duplicate_keys(root: yaml.Node | None) -> list[tuple[str, yaml.Node]]:
    """Keys written twice in one mapping (the second one, where it is), anywhere in the file."""
    found: list[tuple[str, yaml.Node]] = []
    seen_nodes: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue  # an alias: the same node again
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            names: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in names:
                        found.append((key.value, key))
                    names.add(key.value)
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(found, key=lambda item: (item[1].start_mark.line, item[1].start_mark.column))


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
