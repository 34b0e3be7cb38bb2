"""The store's layout exactly as ivrkit created it before migrations (``ivrkit_meta``
``schema_version`` 1, no Alembic version table): a frozen copy of ``src/ivrkit/store/_schema.py``
at that time, so tests can build a store the old way and upgrade it. Never edit it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    insert,
    select,
)

from ivrkit.errors import StoreError  # the old code raised this

SCHEMA_VERSION = 1
"""Bumped whenever a table changes; recorded in ``ivrkit_meta`` under ``schema_version``."""


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC; naive values are taken as UTC, results are always aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC, whose text sorts in time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SafeText(TypeDecorator[str]):
    """Text that PostgreSQL always accepts: a NUL character (legal in a decoded webhook body,
    refused by PostgreSQL) becomes U+FFFD, as an undecodable byte already does."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is not None and dialect.name != "sqlite" and "\x00" in value:
            return value.replace("\x00", "\ufffd")
        return value


def _text(name: str, *args: Any, **kwargs: Any) -> Column[str]:
    return Column(name, SafeText(), *args, **kwargs)


def _id() -> Column[int]:
    # BIGINT on PostgreSQL; INTEGER on SQLite, where only that spelling aliases the rowid.
    return Column("id", _ID_TYPE, primary_key=True, autoincrement=True)


_ID_TYPE = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

meta = Table(
    "ivrkit_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    _text("value", nullable=False),
)

deliveries = Table(
    "ivrkit_deliveries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    _text("channel", nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    _text("body", nullable=False),
    Column("headers", JSON(), nullable=False),
    Column("http_status", Integer, nullable=False),
    _text("answer"),
    _text("outcome", nullable=False),
    _text("note"),
    _text("event_id"),
    _text("event_type"),
    _text("session_id"),
    # The event_id of a CALL_ACTION delivery that was answered (stored by record_vca); NULL for
    # every other delivery, so only answers are unique and replays, failures, ... may repeat it.
    _text("answered_event_id"),
    Index("ix_ivrkit_deliveries_answered_event_id", "answered_event_id", unique=True),
    Index("ix_ivrkit_deliveries_session_id", "session_id", "id"),
    Index("ix_ivrkit_deliveries_event_id", "event_id"),
)

sessions = Table(
    "ivrkit_sessions",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    _text("session_id", nullable=False, unique=True),
    _text("status", nullable=False),
    _text("direction"),
    _text("sub_account_id"),
    _text("customer"),
    _text("flow"),
    _text("node"),
    # Kept apart so a late CALL_ACTION never overwrites what the summary said.
    _text("answer_last_action"),
    _text("summary_last_action"),
    Column("started_at", UtcDateTime()),
    Column("ended_at", UtcDateTime()),
    Column("call_count", BigInteger),
    Column("error_code", BigInteger),
    _text("error_message"),
    _text("client_request_id"),
    _text("request_id"),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_ivrkit_sessions_started_at", "started_at", "id"),
)

session_digits = Table(
    "ivrkit_session_digits",
    metadata,
    # A global sequence, so arrival order is exact even for concurrent events of one session.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    _text(
        "session_id",
        ForeignKey("ivrkit_sessions.session_id", ondelete="CASCADE"),
        nullable=False,
    ),
    _text("digits", nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_ivrkit_session_digits_session_id", "session_id", "id"),
)

summaries = Table(
    "ivrkit_summaries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    _text(
        "session_id",
        ForeignKey("ivrkit_sessions.session_id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    _text("session_status", nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("payload", JSON(), nullable=False),
    Column("version", BigInteger),
)

legs = Table(
    "ivrkit_legs",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column(
        "summary_id",
        _ID_TYPE,
        ForeignKey("ivrkit_summaries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _text("name", nullable=False),
    _text("call_id"),
    _text("direction"),
    _text("call_type"),
    _text("status"),
    _text("source"),
    _text("destination"),
    Column("initiated_at", UtcDateTime()),
    Column("connected_at", UtcDateTime()),
    Column("disconnected_at", UtcDateTime()),
    Column("duration_seconds", BigInteger),
    Column("mos", Float),
    Column("packet_loss_rate", Float),
    Column("jitter", Float),
    Index("ix_ivrkit_legs_summary_id", "summary_id", "name"),
)

variables = Table(
    "ivrkit_variables",
    metadata,
    # No foreign key: the IVR tree may keep input before the session row exists.
    _text("session_id", primary_key=True),
    _text("name", primary_key=True),
    _text("value", nullable=False),
)


def initialise(conn: Connection) -> None:
    """Create the missing tables and check the recorded schema version (in the caller's
    transaction)."""
    if conn.dialect.name == "postgresql":
        # Several server workers may open a fresh database at once; they take turns here.
        conn.execute(select(func.pg_advisory_xact_lock(_INIT_LOCK)))
    metadata.create_all(conn)
    recorded = conn.execute(
        select(meta.c.value).where(meta.c.key == "schema_version")
    ).scalar_one_or_none()
    if recorded is None:
        conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    elif not recorded.isdigit() or int(recorded) > SCHEMA_VERSION:
        raise StoreError(
            f"the database has store schema version {recorded}, newer than this ivrkit "
            f"understands ({SCHEMA_VERSION}); upgrade ivrkit or use another database"
        )


_INIT_LOCK = 0x1F2C_0001
"""PostgreSQL advisory lock key held while the tables are created."""
