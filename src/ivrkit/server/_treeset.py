"""The trees one server answers: chosen by path (`/webhooks/vca/{flow}`), by the session's
recorded tree, or by the virtual number called; reloaded from disk when their files change (the
tree file, or a calendar file or .ics it reads).

Every version of a tree that was served stays answerable: a reload switches new calls to the new
version, while a call whose `clientActionId` carries an older version's tag is answered by that
version (kept in memory, or read back from the store after a restart or on another replica).
Python hooks registered on a tree apply to all its versions.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from ivrkit import rules, wire
from ivrkit.errors import IvrkitError, StoreError
from ivrkit.store._versions import StoredVersion, TreeVersions, choose_tag
from ivrkit.trees import Tree, TreeSpec
from ivrkit.trees._engine import spec_text

log = logging.getLogger("ivrkit.server")

TreeLoader = Callable[[Path], Tree]
"""Loads (and checks) a tree file; raises IvrkitError when it must not be served."""

TOUCH_INTERVAL = 60.0
"""Seconds between two notes in the store that a version is still served (its last_served_at):
often enough to tell which versions are in use, rare enough to cost no delivery anything."""


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
        self._book: TreeVersions | None = None
        self._by_tag: dict[tuple[str, str], Tree] = {}
        self._by_version: dict[tuple[str, str], Tree] = {}
        self._touched: dict[tuple[str, str], float] = {}
        given_paths = list(paths or [None] * len(trees))
        for tree, path in zip(trees, given_paths, strict=True):
            if tree.name in self._slots:
                raise IvrkitError(f"two trees are named {tree.name!r}; tree names must differ")
            self._keep(tree, self._memory_tag(tree))
            self._slots[tree.name] = _Slot(tree, _fallback(tree), path, _stamp(path, tree))
        self.default_name = trees[0].name
        self._numbers = self._index_numbers()

    # -- versions ------------------------------------------------------------------------------

    def attach(self, book: TreeVersions) -> None:
        """Keep the versions served from now on in ``book`` (the server's store), starting with
        the current ones; their tags become the store's, which every replica shares."""
        with self._lock:
            self._book = book
            self._by_tag.clear()
            self._by_version.clear()
            for slot in self._slots.values():
                self._keep(slot.tree, self._recorded_tag(slot.tree))
                slot.fallback = _fallback(slot.tree)

    def version(self, flow: str, tag: str) -> Tree | None:
        """The version of ``flow`` tagged ``tag`` when this server has it in memory (no I/O)."""
        return self._by_tag.get((flow, tag))

    def load_version(self, flow: str, tag: str) -> Tree | None:
        """The version of ``flow`` tagged ``tag``, read from the store when not in memory (it
        blocks: call it off the event loop); None when neither has it or it cannot be built."""
        known = self._by_tag.get((flow, tag))
        current = self.get(flow)
        if known is not None or current is None or self._book is None:
            return known
        try:
            stored = self._book.find(flow, tag)
        except StoreError:
            log.exception("could not read version %s of tree %r from the store", tag, flow)
            return None
        if stored is None:
            return None
        tree = _rebuilt(stored, current)
        if tree is None:
            return None
        with self._lock:
            kept = self._by_version.get((flow, tree.version))
            if kept is not None:
                return kept
            self._keep(tree, stored.tag)
        return tree

    def touch_due(self, tree: Tree) -> bool:
        """Whether to note in the store that ``tree``'s version is still served."""
        if self._book is None:
            return False
        key = (tree.name, tree.version)
        now = time.monotonic()
        if now - self._touched.get(key, 0.0) < TOUCH_INTERVAL:
            return False
        self._touched[key] = now
        return True

    def touch(self, tree: Tree) -> None:
        """Note in the store that ``tree``'s version was served now (blocks; never raises)."""
        if self._book is None:
            return
        try:
            self._book.touch(tree.name, tree.version, datetime.now(UTC))
        except StoreError:
            log.exception("could not note that version %s of %r is served", tree.version, tree.name)

    def _keep(self, tree: Tree, tag: str) -> None:
        tree.version_tag = tag
        self._by_tag[(tree.name, tag)] = tree
        self._by_version[(tree.name, tree.version)] = tree

    def _memory_tag(self, tree: Tree) -> str:
        others = [version for flow, version in self._by_version if flow == tree.name]
        return choose_tag(tree.version, others)

    def _recorded_tag(self, tree: Tree) -> str:
        if self._book is None:
            return self._memory_tag(tree)
        return self._book.record(tree.name, tree.version, spec_text(tree.spec), datetime.now(UTC))

    # -- choosing ------------------------------------------------------------------------------

    @property
    def default(self) -> Tree:
        return self._slots[self.default_name].tree

    def names(self) -> list[str]:
        return list(self._slots)

    def current(self) -> list[Tree]:
        """The version of each tree that new calls get, the default first."""
        return [slot.tree for slot in self._slots.values()]

    def get(self, name: str | None) -> Tree | None:
        slot = self._slots.get(name) if name else None
        return slot.tree if slot else None

    def fallback(self, tree: Tree) -> bytes:
        """The entry menu of the tree's current version as JSON: what the platform gets when
        anything goes wrong."""
        return self._slots[tree.name].fallback

    def current_version(self, tree: Tree) -> str:
        """The version of ``tree``'s name that new calls get (its fallback's version)."""
        return self._slots[tree.name].tree.version

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
            except Exception as exc:  # noqa: BLE001 - a file may make any loader fail
                reason = " ".join(str(exc).split())[:300]
                messages.append(
                    f"kept the running {name!r}: loading the changed file {slot.path} failed: "
                    f"{type(exc).__name__}: {reason}"
                )
                continue
            if tree.name != name:
                messages.append(f"kept {name!r}: the file now names the tree {tree.name!r}")
                continue
            running = slot.tree
            try:
                tree = self._adopt(tree, running)
            except StoreError as exc:
                messages.append(f"kept the running {name!r}: its new version is not kept: {exc}")
                continue
            with self._lock:
                self._slots[name] = _Slot(tree, _fallback(tree), slot.path, _stamp(slot.path, tree))
                self._numbers = self._index_numbers()
            if tree is running:
                messages.append(f"{name!r} from {slot.path} is unchanged (version {tree.version})")
            else:
                messages.append(
                    f"reloaded {name!r} from {slot.path}: new calls get version {tree.version}, "
                    f"calls in progress stay on theirs (was {running.version})"
                )
        return messages

    def _adopt(self, tree: Tree, running: Tree) -> Tree:
        """The reloaded ``tree`` as served: the version already known when its content is,
        else the new version, kept (store first), with the running tree's hooks and clock."""
        known = self._by_version.get((tree.name, tree.version))
        if known is not None:
            return known
        tree.hooks = running.hooks
        tree.clock = running.clock
        tag = self._recorded_tag(tree)
        with self._lock:
            self._keep(tree, tag)
        return tree


def _rebuilt(stored: StoredVersion, current: Tree) -> Tree | None:
    """A version read from the store, answering with ``current``'s hooks, clock and calendars
    (the store keeps a tree's content, not its calendars' rules: a version whose calendars have
    since changed no longer hashes to itself); None (and a log line) when its content no longer
    loads or does not hash to its version."""
    try:
        spec = TreeSpec.model_validate_json(stored.spec)
        tree = Tree(
            spec,
            source=f"<{stored.flow} version {stored.version}>",
            hooks=current.hooks,
            clock=current.clock,
            calendars=current.calendars if spec.calendars else None,
        )
    except (IvrkitError, ValidationError) as exc:
        log.error(
            "version %s of tree %r in the store does not load: %s", stored.version, stored.flow, exc
        )
        return None
    if tree.version != stored.version:
        log.error(
            "version %s of tree %r in the store loads as version %s; not answering with it",
            stored.version,
            stored.flow,
            tree.version,
        )
        return None
    return tree


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
