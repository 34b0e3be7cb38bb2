"""The trees one server answers: chosen by path (`/webhooks/vca/{flow}`), by the session's
recorded tree, or by the virtual number called; reloaded from disk when their files change (the
tree file, or a calendar file or .ics it reads)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ivrkit import rules, wire
from ivrkit.errors import IvrkitError
from ivrkit.trees import Tree

log = logging.getLogger("ivrkit.server")

TreeLoader = Callable[[Path], Tree]
"""Loads (and checks) a tree file; raises IvrkitError when it must not be served."""


@dataclass
class _Slot:
    tree: Tree
    fallback: bytes
    path: Path | None
    stamp: Stamp


def _digits(number: str | None) -> str:
    return "".join(ch for ch in number or "" if ch.isdigit())


class TreeSet:
    """Trees by name; the first is the default."""

    def __init__(
        self,
        trees: Sequence[Tree],
        *,
        paths: Sequence[Path | None] | None = None,
        loader: TreeLoader | None = None,
    ) -> None:
        if not trees:
            raise IvrkitError("a server needs at least one tree")
        self._lock = threading.Lock()
        self._loader = loader
        self._slots: dict[str, _Slot] = {}
        given_paths = list(paths or [None] * len(trees))
        for tree, path in zip(trees, given_paths, strict=True):
            if tree.name in self._slots:
                raise IvrkitError(f"two trees are named {tree.name!r}; tree names must differ")
            self._slots[tree.name] = _Slot(tree, _fallback(tree), path, _stamp(path, tree))
        self.default_name = trees[0].name
        self._numbers = self._index_numbers()

    # -- choosing ------------------------------------------------------------------------------

    @property
    def default(self) -> Tree:
        return self._slots[self.default_name].tree

    def names(self) -> list[str]:
        return list(self._slots)

    def get(self, name: str | None) -> Tree | None:
        slot = self._slots.get(name) if name else None
        return slot.tree if slot else None

    def fallback(self, tree: Tree) -> bytes:
        """The tree's entry menu as JSON: what the platform gets when anything goes wrong."""
        return self._slots[tree.name].fallback

    @property
    def single(self) -> bool:
        return len(self._slots) == 1

    def by_number(self, event: wire.CallActionEvent) -> Tree | None:
        """The tree whose virtual number was called (inbound) or used as caller ID (outbound)."""
        payload = event.payload
        inbound = (payload.call_direction or "").upper() == "INBOUND"
        number = payload.destination if inbound else payload.source
        name = self._numbers.get(_digits(number))
        return self.get(name)

    def _index_numbers(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, slot in self._slots.items():
            spec = slot.tree.spec
            for number in {*spec.virtual_numbers, spec.numbers.get("caller_id", "")}:
                digits = _digits(number)
                if not digits:
                    continue
                owner = index.setdefault(digits, name)
                if owner != name:
                    log.warning(
                        "trees %r and %r share the number +%s: its calls go to %r unless "
                        "the path or the call's record names the tree",
                        owner,
                        name,
                        digits,
                        owner,
                    )
        return index

    def shared_numbers(self) -> dict[str, list[str]]:
        """Numbers that more than one tree claims (calls from or to them are ambiguous)."""
        owners: dict[str, list[str]] = {}
        for name, slot in self._slots.items():
            spec = slot.tree.spec
            for number in {*spec.virtual_numbers, spec.numbers.get("caller_id", "")}:
                if _digits(number):
                    owners.setdefault(_digits(number), []).append(name)
        return {number: names for number, names in owners.items() if len(names) > 1}

    # -- reloading -----------------------------------------------------------------------------

    def reload_changed(self) -> list[str]:
        """Reload every tree whose file changed; keep the old tree when the new one fails.

        Returns one line per tree looked at again, for the log.
        """
        if self._loader is None:
            return []
        messages: list[str] = []
        for name, slot in list(self._slots.items()):
            stamp = _stamp(slot.path, slot.tree)
            if slot.path is None or stamp is None or stamp == slot.stamp:
                continue
            slot.stamp = stamp
            try:
                tree = self._loader(slot.path)
            except IvrkitError as exc:
                messages.append(f"kept the running {name!r}: the changed file fails: {exc}")
                continue
            if tree.name != name:
                messages.append(f"kept {name!r}: the file now names the tree {tree.name!r}")
                continue
            with self._lock:
                self._slots[name] = _Slot(tree, _fallback(tree), slot.path, _stamp(slot.path, tree))
                self._numbers = self._index_numbers()
            messages.append(f"reloaded {name!r} from {slot.path}")
        return messages


def _fallback(tree: Tree) -> bytes:
    answer = tree.entry_callflow(None)
    verdict = rules.validate(answer, mode=rules.Mode.ANSWER)
    if not verdict.ok:
        raise IvrkitError(
            f"tree {tree.name!r}: its entry answer is refused: {rules.describe(verdict)}"
        )
    return answer.to_json().encode()


Stamp = tuple[float | None, ...] | None
"""Modification times of a tree's file and of every calendar file it reads (None: no file)."""


def _stamp(path: Path | None, tree: Tree) -> Stamp:
    own = _mtime(path)
    if own is None:
        return None
    calendar_files = [Path(f) for calendar in tree.calendars.values() for f in calendar.files]
    return (own, *(_mtime(file) for file in calendar_files))


def _mtime(path: Path | None) -> float | None:
    try:
        return os.stat(path).st_mtime if path is not None else None
    except OSError:
        return None
