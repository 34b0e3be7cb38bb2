"""Every version of a tree the server has answered with: its content, the tag its
`clientActionId`s carry, and when it was first and last served.

A version is kept when a server starts serving it, before it answers anything, so that any
replica on the same store (or the same server after a restart) can answer a call that started
on it. Tags are chosen here, in one transaction, so that replicas agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ivrkit.errors import StoreError
from ivrkit.store import _schema as schema
from ivrkit.store._sql import Store

_V = schema.tree_versions.c

MIN_TAG = 6
"""Fewest hex digits of a version tag: 24 bits, so a tree's versions rarely need longer ones."""
ATTEMPTS = 5
"""Tries to record a version while other replicas record versions of the same tree."""


@dataclass(frozen=True, kw_only=True)
class StoredVersion:
    """One version of a tree as the store keeps it."""

    flow: str
    version: str
    tag: str
    """What `clientActionId`s answered by this version carry after ``~``."""
    spec: str
    """The tree's content as JSON (:func:`ivrkit.trees._engine.spec_text`)."""
    first_served_at: datetime
    last_served_at: datetime


def choose_tag(version: str, others: list[str]) -> str:
    """The shortest start of ``version`` (at least :data:`MIN_TAG` digits) that none of the
    ``others`` (the flow's other versions) begins with."""
    for length in range(MIN_TAG, len(version)):
        tag = version[:length]
        if not any(other.startswith(tag) for other in others if other != version):
            return tag
    return version


class TreeVersions:
    """The tree versions of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, flow: str, version: str, spec: str, at: datetime) -> str:
        """Keep ``version`` of ``flow`` (served from ``at``) and return its tag; a version
        already kept keeps its tag and its content."""
        for _ in range(ATTEMPTS):
            with self.store.transaction() as conn:
                tag = self._tag_of(conn, flow, version)
                if tag is not None:
                    self._touch(conn, flow, version, at)
                    return tag
                others = conn.execute(select(_V.version).where(_V.flow == flow)).scalars().all()
                tag = choose_tag(version, list(others))
                row = {
                    "flow": flow,
                    "version": version,
                    "tag": tag,
                    "spec": spec,
                    "first_served_at": at,
                    "last_served_at": at,
                }
                # Nothing is inserted when another replica kept this version, or another
                # version with this tag, at the same moment: read again, and choose again.
                conn.execute(self._insert(), row)
                tag = self._tag_of(conn, flow, version)
                if tag is not None:
                    return tag
        raise StoreError(
            f"could not record version {version} of tree {flow!r}: other versions of it are "
            "being recorded at the same time; start the server again"
        )

    def find(self, flow: str, tag: str) -> StoredVersion | None:
        """The version of ``flow`` whose tag is ``tag`` (None: the store has none)."""
        with self.store.transaction() as conn:
            row = (
                conn.execute(
                    select(schema.tree_versions).where(and_(_V.flow == flow, _V.tag == tag))
                )
                .mappings()
                .one_or_none()
            )
        return _from_row(row) if row is not None else None

    def touch(self, flow: str, version: str, at: datetime) -> None:
        """Note that ``version`` of ``flow`` was served at ``at`` (a later time is kept)."""
        with self.store.transaction() as conn:
            self._touch(conn, flow, version, at)

    def kept(self, flow: str | None = None) -> list[StoredVersion]:
        """The versions kept (of one flow, or of all), by flow, oldest first."""
        query = select(schema.tree_versions).order_by(_V.flow, _V.first_served_at, _V.version)
        if flow is not None:
            query = query.where(_V.flow == flow)
        with self.store.transaction() as conn:
            rows = conn.execute(query).mappings().all()
        return [_from_row(row) for row in rows]

    # -- plumbing ---------------------------------------------------------------------------

    def _insert(self) -> Any:
        table = schema.tree_versions
        made = postgresql.insert(table) if self.store.dialect == "postgresql" else None
        return (made if made is not None else sqlite.insert(table)).on_conflict_do_nothing()

    @staticmethod
    def _tag_of(conn: Connection, flow: str, version: str) -> str | None:
        found = conn.execute(
            select(_V.tag).where(and_(_V.flow == flow, _V.version == version))
        ).scalar_one_or_none()
        return str(found) if found is not None else None

    @staticmethod
    def _touch(conn: Connection, flow: str, version: str, at: datetime) -> None:
        conn.execute(
            update(schema.tree_versions)
            .where(and_(_V.flow == flow, _V.version == version, _V.last_served_at < at))
            .values(last_served_at=at)
        )


def _from_row(row: Any) -> StoredVersion:
    return StoredVersion(
        flow=row["flow"],
        version=row["version"],
        tag=row["tag"],
        spec=row["spec"],
        first_served_at=row["first_served_at"],
        last_served_at=row["last_served_at"],
    )
