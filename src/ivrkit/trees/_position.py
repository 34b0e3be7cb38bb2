"""Where a call is in a tree (carried in `clientActionId`) and what the engine decided.

The `clientActionId` ivrkit answers is ``<node>[#<retries>][~<version tag>]``: ``main``,
``main#2``, ``main#2~3fa9c1``. The node is a tree node name (at most 64 characters), the retries
how often that node was replayed (at most 3 digits), and the version tag the start of the tree
version (:func:`ivrkit.trees._engine.spec_version`, 4 to 10 lowercase hex digits) that gave the
answer, so that a call keeps being answered by that version after a reload. The server makes
each tag the shortest start (at least 6 digits) that no other version of the tree it has served
begins with. At most 80 characters of letters, digits, ``_``, ``-``, ``#`` and ``~``: the
platform states no length limit and refuses some special characters without naming them (error
-1016), so the id stays short and plain. An id without a tag (from before versions, or from an
engine outside the server) means the current version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from ivrkit import wire

_STATE = re.compile(
    r"^(?P<node>[A-Za-z_][A-Za-z0-9_\-]{0,63})(?:#(?P<retries>\d{1,3}))?"
    r"(?:~(?P<version>[0-9a-f]{4,10}))?$"
)
VERSION_MARK = "~"
"""Separates the position from the version tag in a `clientActionId`."""
MAX_ACTION_ID = 80
"""The longest `clientActionId` ivrkit writes (and reads: a longer one is refused unread)."""


class DecisionKind(StrEnum):
    """How the engine placed an event in the tree before answering it."""

    ANSWERED = "answered"
    """The digits were acted on in the node the caller heard."""
    STALE = "stale-action-id"
    """The `clientActionId` names no node of this tree: the entry node is played again."""
    INBOUND = "inbound"
    """A new inbound call (CALL_RECEIVED): the entry node starts."""


class RouteKind(StrEnum):
    """How the engine left a node (what route coverage and path analytics count)."""

    KEY = "key"
    """A menu key that has a route (``value``: the key)."""
    COLLECTED = "collected"
    """A collect node accepted the entry."""
    INVALID = "invalid"
    """Digits that match no route, or an entry the collect node refuses."""
    NO_INPUT = "no-input"
    """The capture timed out without digits."""
    RETRIES_EXHAUSTED = "retries-exhausted"
    """Invalid entries or silences past ``max_retries``."""
    NEXT = "next"
    """A say, play or transfer moved on to its next node (or ended the call)."""
    CASE = "case"
    """A branch case held (``value``: the node it leads to)."""
    ELSE = "else"
    """No branch case held."""
    RESULT = "result"
    """A hook answered a result (``value``) that has a route."""
    DEFAULT = "default"
    """A hook failed or answered a result without a route."""
    GOTO = "goto"


@dataclass(frozen=True)
class RouteTaken:
    """One route the engine took while answering: from ``node``, of ``kind``, to ``to``."""

    node: str
    kind: RouteKind
    value: str | None = None
    to: str | None = None
    """The node it led to; None when the call ends there."""

    def __str__(self) -> str:
        what = f"{self.kind} {self.value}" if self.value is not None else str(self.kind)
        return f"{self.node}: {what} -> {self.to or '(end)'}"


@dataclass(frozen=True)
class Decision:
    callflow: wire.Callflow
    node: str
    """The node the answer was rendered from (the start of the chain)."""
    kind: DecisionKind
    note: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    """Session variables this answer set (for the store to keep)."""
    label: str | None = None
    """The outcome label of the last labelled node the answer passed (:mod:`ivrkit._outcomes`)."""
    heard: Position | None = None
    """Where the caller was when the event came (None: a new inbound call or an unknown
    clientActionId)."""
    routes: tuple[RouteTaken, ...] = ()
    """Every route taken, in order: from the node heard, then through says, plays, branches,
    hooks and gotos up to the node that waits (or the end of the call)."""
    reached: tuple[str, ...] = ()
    """The nodes the answer passed through, in order (the last one waits or ends the call)."""

    @property
    def outcome(self) -> DecisionKind:
        """The former name of :attr:`kind` ("outcome" now means a session's outcome only, as
        :mod:`ivrkit._outcomes` defines it); kept while ivrkit.server still reads it."""
        return self.kind


Outcome = DecisionKind
"""The former name of :class:`DecisionKind`, kept while ivrkit.server still imports it."""


@dataclass(frozen=True)
class Position:
    """Where a call is: the node it is in and how often that node was replayed."""

    node: str
    retries: int = 0

    def encode(self) -> str:
        return self.node if self.retries == 0 else f"{self.node}#{self.retries}"

    @classmethod
    def decode(cls, text: str | None) -> Position | None:
        """The position a `clientActionId` names (whatever its version tag); None when it is
        not one ivrkit writes."""
        action = ActionId.decode(text)
        return action.position if action is not None else None


@dataclass(frozen=True)
class ActionId:
    """A `clientActionId` as ivrkit writes it: a position and the tag of the tree version that
    answered (None: the current version)."""

    position: Position
    version: str | None = None

    def encode(self) -> str:
        text = self.position.encode()
        return text if self.version is None else f"{text}{VERSION_MARK}{self.version}"

    @classmethod
    def decode(cls, text: str | None) -> ActionId | None:
        """The id ``text`` is; None when ivrkit never writes such an id (too long, tampered)."""
        if not text or len(text) > MAX_ACTION_ID:
            return None
        match = _STATE.match(text)
        if match is None:
            return None
        position = Position(match["node"], int(match["retries"] or 0))
        return cls(position, match["version"])


def version_tag_of(text: str | None) -> str | None:
    """The version tag of a `clientActionId` (None: none), read cheaply for choosing the tree
    version; the engine checks the whole id when it answers."""
    if not text or VERSION_MARK not in text or len(text) > MAX_ACTION_ID:
        return None
    return text.rpartition(VERSION_MARK)[2] or None
