"""What each tree version declares its outcome labels count as (``outcome: {label: ...,
counts_as: ...}``), read from the versions the store keeps (``ivrkit_tree_versions``): the
category of a session is the one the version that answered it declared.

A version is named by the hash of its content, so what it declares never changes: it is read
from the store once per process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ivrkit import _outcomes as outcomes
from ivrkit.store import _schema as schema

Declared = Mapping[tuple[str, str], Mapping[str, str]]
"""(flow, version) -> {label: category} of the labels whose node says what they count as."""

_V = schema.tree_versions.c
_SPECS = select(_V.flow, _V.version, _V.spec).where(
    _V.version.in_(bindparam("versions", expanding=True))
)

_known: dict[tuple[str, str], Mapping[str, str]] = {}
_lock = threading.Lock()


def declarations(spec: Mapping[str, Any]) -> dict[str, str]:
    """{label: category} of the labels a tree's content (as the store keeps it) declares."""
    found: dict[str, str] = {}
    nodes = spec.get("nodes")
    if not isinstance(nodes, Mapping):
        return found
    for node in nodes.values():
        if not isinstance(node, Mapping):
            continue
        label, counted = node.get("outcome"), node.get("counts_as")
        if isinstance(label, str) and isinstance(counted, str) and outcomes.is_category(counted):
            found.setdefault(label, counted)
    return found


def declared_of(conn: Connection, versions: Iterable[tuple[str, str]]) -> Declared:
    """What each (flow, version) declares; a version the store does not keep declares
    nothing (its labels get their built-in categories)."""
    wanted = set(versions)
    with _lock:
        missing = {key for key in wanted if key not in _known}
    if missing:
        read: dict[tuple[str, str], Mapping[str, str]] = {}
        rows = conn.execute(_SPECS, {"versions": sorted({version for _, version in missing})})
        for flow, version, spec in rows:
            if (flow, version) in missing:
                try:
                    content = json.loads(spec)
                except ValueError:
                    content = {}
                read[(flow, version)] = declarations(content if isinstance(content, dict) else {})
        with _lock:
            _known.update(read)
    with _lock:
        return {key: _known[key] for key in wanted if key in _known}
