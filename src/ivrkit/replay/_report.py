"""What a replay found: a matrix of old outcome → new outcome, with example sessions per cell,
and for each session that ends differently the first node where its path left the old one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ivrkit.replay._behaviour import ENTRY, CallerBehaviour
from ivrkit.replay._platform import Replayed
from ivrkit.trees._position import Position

__all__ = ["EXAMPLES", "Cell", "ReplayReport", "SessionChange", "build_report"]

EXAMPLES = 3
"""Example session ids kept per cell of the matrix."""
NO_OUTCOME = "(none)"


@dataclass(frozen=True)
class SessionChange:
    """A session that would end differently."""

    session_id: str
    old: str
    new: str
    diverged_at: str
    """The last node both paths share: where the caller's route now turns another way."""
    old_next: str | None
    """Where the recorded call went from there (None: it ended there)."""
    new_next: str | None
    """Where the replayed call goes from there."""

    def to_json(self) -> dict[str, Any]:
        return {
            "sessionId": self.session_id,
            "old": self.old,
            "new": self.new,
            "divergedAt": self.diverged_at,
            "oldNext": self.old_next,
            "newNext": self.new_next,
        }


@dataclass(frozen=True)
class Cell:
    old: str
    new: str
    sessions: int
    examples: tuple[str, ...]
    diverged_at: tuple[tuple[str, int], ...]
    """Nodes where the sessions of this cell diverged, with how many (most first); empty for
    sessions that end as before."""

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "sessions": self.sessions,
            "examples": list(self.examples),
            "divergedAt": {node: count for node, count in self.diverged_at},
        }


@dataclass(frozen=True)
class ReplayReport:
    flow: str
    version: str
    sessions: int
    cells: tuple[Cell, ...]
    """Every (old, new) pair met, changed ones first, then by size, then by name."""
    changes: tuple[SessionChange, ...]
    """Every session that ends differently, in the order replayed."""
    errors: tuple[tuple[str, str], ...] = ()
    """Sessions whose replay the simulator ended in ERROR: (session id, its message)."""
    skipped: tuple[tuple[str, str], ...] = ()
    """Recorded sessions that could not be replayed at all: (session id, why); not counted."""

    @property
    def changed(self) -> int:
        return len(self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "version": self.version,
            "sessions": self.sessions,
            "changed": self.changed,
            "matrix": [cell.to_json() for cell in self.cells],
            "changes": [change.to_json() for change in self.changes],
            "errors": [{"sessionId": sid, "error": error} for sid, error in self.errors],
            "skipped": [{"sessionId": sid, "reason": why} for sid, why in self.skipped],
        }


def build_report(
    flow: str,
    version: str,
    entry: str,
    callers: list[CallerBehaviour],
    replayed: list[Replayed],
) -> ReplayReport:
    """Compare each recorded call with its replay (``entry``: the new tree's entry node, what
    a path's first step of an outbound call stands for)."""
    counts: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = {}
    nodes: dict[tuple[str, str], Counter[str]] = {}
    changes: list[SessionChange] = []
    errors: list[tuple[str, str]] = []
    for caller, result in zip(callers, replayed, strict=True):
        old, new = caller.outcome or NO_OUTCOME, result.outcome or NO_OUTCOME
        cell = (old, new)
        counts[cell] += 1
        kept = examples.setdefault(cell, [])
        if len(kept) < EXAMPLES:
            kept.append(caller.session_id)
        if result.error is not None:
            errors.append((caller.session_id, result.error))
        if old == new:
            continue
        at, old_next, new_next = divergence(caller.path, result.path)
        node = _node(at, entry)
        nodes.setdefault(cell, Counter())[node] += 1
        changes.append(
            SessionChange(
                session_id=caller.session_id,
                old=old,
                new=new,
                diverged_at=node,
                old_next=_node(old_next, entry) if old_next is not None else None,
                new_next=_node(new_next, entry) if new_next is not None else None,
            )
        )
    cells = [
        Cell(
            old=old,
            new=new,
            sessions=count,
            examples=tuple(examples[(old, new)]),
            diverged_at=tuple(
                sorted(nodes.get((old, new), Counter()).items(), key=lambda i: (-i[1], i[0]))
            ),
        )
        for (old, new), count in counts.items()
    ]
    cells.sort(key=lambda cell: (not cell.changed, -cell.sessions, cell.old, cell.new))
    return ReplayReport(
        flow=flow,
        version=version,
        sessions=len(callers),
        cells=tuple(cells),
        changes=tuple(changes),
        errors=tuple(errors),
    )


def divergence(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, str | None, str | None]:
    """Where two paths part: (the last step they share, the old path's next step, the new
    one's). Paths that never part (the outcome changed at the same node) part at their end."""
    shared = 0
    for one, other in zip(old, new, strict=False):
        if one != other:
            break
        shared += 1
    if shared == 0:
        return ENTRY, old[0] if old else None, new[0] if new else None
    return (
        old[shared - 1],
        old[shared] if shared < len(old) else None,
        new[shared] if shared < len(new) else None,
    )


def _node(step: str, entry: str) -> str:
    """The node a path step is at (``main#1`` → ``main``; the entry step → ``entry``)."""
    if step == ENTRY:
        return entry
    position = Position.decode(step)
    return position.node if position is not None else step
