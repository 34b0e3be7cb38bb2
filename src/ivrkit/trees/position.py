"""Where a call is in a tree (carried in `clientActionId`) and what the engine decided."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from ivrkit import wire

_STATE = re.compile(r"^(?P<node>[A-Za-z_][A-Za-z0-9_\-]{0,63})(?:#(?P<retries>\d{1,3}))?$")


class Outcome(StrEnum):
    ANSWERED = "answered"
    """The digits were acted on in the node the caller heard."""
    STALE = "stale-action-id"
    """The `clientActionId` names no node of this tree: the entry node is played again."""
    INBOUND = "inbound"
    """A new inbound call (CALL_RECEIVED): the entry node starts."""


@dataclass(frozen=True)
class Decision:
    callflow: wire.Callflow
    node: str
    """The node the answer was rendered from (the start of the chain)."""
    outcome: Outcome
    note: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    """Session variables this answer set (for the store to keep)."""
    label: str | None = None
    """The outcome label of the last labelled node the answer passed (:mod:`ivrkit.outcomes`)."""


@dataclass(frozen=True)
class Position:
    """Where a call is: the node it is in and how often that node was replayed."""

    node: str
    retries: int = 0

    def encode(self) -> str:
        return self.node if self.retries == 0 else f"{self.node}#{self.retries}"

    @classmethod
    def decode(cls, text: str | None) -> Position | None:
        match = _STATE.match(text) if text else None
        if match is None:
            return None
        return cls(match["node"], int(match["retries"] or 0))
