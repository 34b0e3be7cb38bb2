"""What changes for a caller between two versions of a tree: nodes added and removed, prompts
(a word diff per language), routes, retries, timeouts, outcomes, conditions, numbers, voices,
and the opening hours, holidays and overrides of the calendars it asks.

Both trees are compared as data (their models dumped to JSON), field by field, so every setting
the tree language has, or gains later, is covered; prompts and routes are told in words a
person reads ("key 2 in `main` now goes to `resolved`, was `agent`"), everything else as
``field: old → new``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ivrkit.calendars import Calendar
from ivrkit.trees._engine import spec_version
from ivrkit.trees._model import Node, TreeSpec

__all__ = ["Change", "TreeDiff", "diff_trees", "word_diff"]

What = Literal[
    "node-added",
    "node-removed",
    "kind",
    "prompt",
    "route",
    "outcome",
    "setting",
    "tree",
    "calendar",
]
TREE = "(tree)"
"""The group of changes to tree-wide settings (numbers, voices, defaults, entry)."""

_PROMPTS = {
    ("menu", "prompt"),
    ("menu", "retry_prompt"),
    ("collect", "prompt"),
    ("collect", "retry_prompt"),
    ("say", "text"),
    ("hangup", "say"),
}
"""Node fields holding what the caller hears (a text, or one per language)."""


@dataclass(frozen=True)
class Change:
    """One difference: in ``node`` (or :data:`TREE`), at ``field`` (dotted), old and new."""

    node: str
    what: What
    field: str
    old: Any
    new: Any
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "what": self.what,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "message": self.message,
        }


@dataclass(frozen=True)
class TreeDiff:
    old_name: str
    old_version: str
    new_name: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def same(self) -> bool:
        return not self.changes

    def by_node(self) -> dict[str, list[Change]]:
        """The changes grouped: tree-wide first, then node by node (in name order)."""
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            groups.setdefault(change.node, []).append(change)
        return groups

    def to_json(self) -> dict[str, Any]:
        return {
            "old": {"name": self.old_name, "version": self.old_version},
            "new": {"name": self.new_name, "version": self.new_version},
            "same": self.same,
            "changes": [change.to_json() for change in self.changes],
        }


def diff_trees(
    old: TreeSpec,
    new: TreeSpec,
    *,
    calendars: tuple[Mapping[str, Calendar], Mapping[str, Calendar]] = ({}, {}),
) -> TreeDiff:
    """Every difference between ``old`` and ``new`` a caller could notice, in a stable order.
    ``calendars`` are the calendars each tree's file names (their versions count them, as
    ``serve``'s do: :func:`~ivrkit.trees._loader.tree_calendars`)."""
    changes = _tree_changes(old, new)
    changes += _calendar_changes(calendars[0], calendars[1])
    for name in sorted(set(old.nodes) | set(new.nodes)):
        before, after = old.nodes.get(name), new.nodes.get(name)
        if before is None:
            assert after is not None
            changes.append(
                Change(
                    name, "node-added", "", None, after.kind, f"node `{name}` added ({after.kind})"
                )
            )
        elif after is None:
            changes.append(
                Change(
                    name,
                    "node-removed",
                    "",
                    before.kind,
                    None,
                    f"node `{name}` removed (was a {before.kind})",
                )
            )
        elif before.kind != after.kind:
            changes.append(
                Change(
                    name,
                    "kind",
                    "kind",
                    before.kind,
                    after.kind,
                    f"`{name}` is now a {after.kind}, was a {before.kind}",
                )
            )
            changes.extend(_outcome_changes(name, before.outcome, after.outcome))
        else:
            changes.extend(_node_changes(name, _node_data(before, old), _node_data(after, new)))
    return TreeDiff(
        old_name=old.name,
        old_version=spec_version(old, calendars[0]),
        new_name=new.name,
        new_version=spec_version(new, calendars[1]),
        changes=tuple(changes),
    )


# -- tree-wide settings -------------------------------------------------------------------------


def _tree_changes(old: TreeSpec, new: TreeSpec) -> list[Change]:
    # The default capture settings are compared where they apply: in each menu and collect.
    before = _flatten(old.model_dump(mode="json", exclude={"nodes": True, "defaults": {"capture"}}))
    after = _flatten(new.model_dump(mode="json", exclude={"nodes": True, "defaults": {"capture"}}))
    changes: list[Change] = []
    for field in sorted(set(before) | set(after)):
        was, now = before.get(field), after.get(field)
        if was != now:
            changes.append(Change(TREE, "tree", field, was, now, _setting(field, was, now)))
    return changes


# -- calendars -----------------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def calendar_group(name: str) -> str:
    """The group of the changes to the calendar ``name``."""
    return f"(calendar {name})"


def _calendar_changes(old: Mapping[str, Calendar], new: Mapping[str, Calendar]) -> list[Change]:
    """What a caller meets at another time: the rules of each calendar as the tree's version
    counts them (hours, holidays, including those an iCalendar file imports, overrides, zone)."""
    changes: list[Change] = []
    for name in sorted(set(old) | set(new)):
        group = calendar_group(name)

        def change(field: str, was: Any, now: Any, message: str, group: str = group) -> None:
            changes.append(Change(group, "calendar", field, was, now, message))

        before, after = old.get(name), new.get(name)
        if before is None or after is None:
            added = before is None
            change(
                "",
                None if added else name,
                name if added else None,
                f"calendar `{name}` {'added' if added else 'no longer read'}",
            )
            continue
        if before.zone.key != after.zone.key:
            change(
                "timezone",
                before.zone.key,
                after.zone.key,
                f"timezone: {before.zone.key} → {after.zone.key}",
            )
        for day, was, now in zip(WEEKDAYS, before.weekly, after.weekly, strict=True):
            if was != now:
                change(
                    f"hours.{day}",
                    _spans(was),
                    _spans(now),
                    f"{day}: open {_spans(now)}, was {_spans(was)}",
                )
        for date in sorted(set(before.holidays) | set(after.holidays)):
            if date not in after.holidays:
                label = _holiday(date, before.holidays[date])
                change(f"holidays.{date}", label, None, f"{label} is no longer a holiday")
            elif date not in before.holidays:
                label = _holiday(date, after.holidays[date])
                change(
                    f"holidays.{date}", None, label, f"{label} is now a holiday (closed all day)"
                )
        for when in sorted(set(before.overrides) | set(after.overrides)):
            was_spans, now_spans = before.overrides.get(when), after.overrides.get(when)
            if was_spans != now_spans:
                was_text = "its weekday's hours" if was_spans is None else _spans(was_spans)
                now_text = "its weekday's hours" if now_spans is None else _spans(now_spans)
                change(
                    f"overrides.{when}",
                    was_text,
                    now_text,
                    f"{when}: open {now_text}, was {was_text}",
                )
    return changes


def _spans(spans: tuple[Any, ...]) -> str:
    return ", ".join(str(span) for span in spans) if spans else "closed"


def _holiday(day: Any, name: str | None) -> str:
    return f"{day} ({name})" if name else str(day)


# -- one node -----------------------------------------------------------------------------------


def _node_data(node: Node, spec: TreeSpec) -> dict[str, Any]:
    """A node as JSON with null fields of other kinds dropped, every prompt as ``{language:
    text}``, every menu route as ``{to, set}`` and the capture as the platform gets it (the
    tree's defaults under the node's own settings), so that equal meanings compare equal."""
    dump = node.model_dump(mode="json")
    data = {key: value for key, value in dump.items() if value is not None}
    kind = node.kind
    body = dict(data[kind])
    asking = node.menu or node.collect
    if asking is not None:
        body["capture"] = {
            **spec.defaults.capture.model_dump(mode="json", exclude_unset=True),
            **asking.capture.model_dump(mode="json", exclude_unset=True),
        }
    for node_kind, field in _PROMPTS:
        if node_kind == kind and field in body:
            body[field] = _per_language(body[field], spec.defaults.language)
    if kind == "menu":
        body["routes"] = {
            key: {"to": route, "set": {}} if isinstance(route, str) else route
            for key, route in body["routes"].items()
        }
    data[kind] = body
    return data


def _per_language(text: Any, default_language: str) -> Any:
    if text is None or isinstance(text, dict):
        return text
    return {default_language: text}


def _node_changes(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    kind = next(key for key in new if key != "outcome")
    changes = _outcome_changes(name, old.get("outcome"), new.get("outcome"))
    before, after = old[kind], new[kind]
    for field in sorted(set(before) | set(after)):
        was, now = before.get(field), after.get(field)
        if was == now:
            continue
        if (kind, field) in _PROMPTS:
            changes.extend(_prompt_changes(name, f"{kind}.{field}", was, now))
        elif field == "routes" and kind in ("menu", "hook"):
            changes.extend(_route_changes(name, kind, was or {}, now or {}))
        else:
            flat_was = _flatten(was, f"{kind}.{field}")
            flat_now = _flatten(now, f"{kind}.{field}")
            for path in sorted(set(flat_was) | set(flat_now)):
                one, other = flat_was.get(path), flat_now.get(path)
                if one != other:
                    changes.append(
                        Change(name, "setting", path, one, other, _setting(path, one, other))
                    )
    return changes


def _outcome_changes(name: str, was: Any, now: Any) -> list[Change]:
    if was == now:
        return []
    return [Change(name, "outcome", "outcome", was, now, _outcome(name, was, now))]


def _prompt_changes(name: str, field: str, old: Any, new: Any) -> list[Change]:
    old, new = old or {}, new or {}
    label = field.split(".", 1)[1].replace("_", " ")
    changes: list[Change] = []
    for language in sorted(set(old) | set(new)):
        was, now = old.get(language), new.get(language)
        if was == now:
            continue
        path = f"{field}.{language}"
        if was is None:
            message = f"{label} ({language}) added: {now!r}"
        elif now is None:
            message = f"{label} ({language}) removed (was {was!r})"
        else:
            message = f"{label} ({language}): {word_diff(was, now)}"
        changes.append(Change(name, "prompt", path, was, now, message))
    return changes


def _route_changes(name: str, kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    what = "key" if kind == "menu" else "result"
    changes: list[Change] = []
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        path = f"{kind}.routes.{key}"
        was_to, now_to = _target(was), _target(now)
        if was is None:
            message = f"{what} {key} in `{name}` now goes to `{now_to}` (new route)"
        elif now is None:
            message = f"{what} {key} in `{name}` has no route any more (went to `{was_to}`)"
        elif was_to != now_to:
            message = f"{what} {key} in `{name}` now goes to `{now_to}`, was `{was_to}`"
        else:
            message = (
                f"{what} {key} in `{name}` sets {_json(now.get('set'))}, "
                f"was {_json(was.get('set'))}"
            )
        changes.append(Change(name, "route", path, was, now, message))
    return changes


def _target(route: Any) -> str | None:
    if isinstance(route, dict):
        to = route.get("to")
        return str(to) if to is not None else None
    return None if route is None else str(route)


# -- words --------------------------------------------------------------------------------------


def word_diff(old: str, new: str) -> str:
    """``old`` turned into ``new`` word by word: ``[-removed-]`` and ``{+added+}`` (as ``git
    diff --word-diff`` writes it), unchanged words as they are."""
    before, after = old.split(), new.split()
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.extend(before[a1:a2])
            continue
        if op in ("delete", "replace"):
            parts.append("[-" + " ".join(before[a1:a2]) + "-]")
        if op in ("insert", "replace"):
            parts.append("{+" + " ".join(after[b1:b2]) + "+}")
    return " ".join(parts)


def _outcome(name: str, was: Any, now: Any) -> str:
    if was is None:
        return f"a session reaching `{name}` now ends `{now}` (no outcome before)"
    if now is None:
        return f"`{name}` has no outcome any more (was `{was}`)"
    return f"a session reaching `{name}` now ends `{now}`, was `{was}`"


def _setting(path: str, was: Any, now: Any) -> str:
    if was is None:
        return f"{path}: {_json(now)} (was unset)"
    if now is None:
        return f"{path}: unset (was {_json(was)})"
    return f"{path}: {_json(was)} → {_json(now)}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested JSON as ``{dotted path: scalar or list of scalars}`` (a list of mappings, like a
    branch's cases, by position: ``cases.0.to``)."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        found = {}
        for index, item in enumerate(value):
            found.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return found
    return {prefix: value}
