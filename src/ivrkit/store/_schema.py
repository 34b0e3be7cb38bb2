"""The store's tables, written once in SQLAlchemy Core for SQLite and PostgreSQL alike.

Every table is prefixed ``ivrkit_`` so the store can share a database with other applications.
Times are stored in UTC and always read back as aware datetimes. These tables are what the
newest migration (``ivrkit/store/_migrations``) builds: a change here needs a migration beside it,
and a test compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
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
)

if TYPE_CHECKING:
    from sqlalchemy.sql.type_api import _BindProcessorType

REVISION = "0009"
"""The migration these tables are: the newest in ``ivrkit/store/_migrations`` (a test keeps the two
equal). A store recording it opens without running Alembic."""


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

    def bind_processor(self, dialect: Dialect) -> _BindProcessorType[datetime] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # What process_bind_param then SQLite's DATETIME processor make, in one call (the
        # projector binds hundreds of timestamps per batch): naive UTC, as SQLite's text.
        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is UTC:  # the common case: "+00:00" cut off the text
                return value.isoformat(" ", "microseconds")[:-6]
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return value.isoformat(" ", "microseconds")

        return process

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

    def bind_processor(self, dialect: Dialect) -> _BindProcessorType[str] | None:
        # SQLite keeps NUL characters: no processing at all (not a call per value that returns it).
        return None if dialect.name == "sqlite" else super().bind_processor(dialect)


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
    # The version of the tree that answered (ivrkit_tree_versions); NULL when no tree did.
    Column("version", String(16)),
    Index("ix_ivrkit_deliveries_answered_event_id", "answered_event_id", unique=True),
    Index("ix_ivrkit_deliveries_session_id", "session_id", "id"),
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
    # The outcome label of the last labelled tree node reached (ivrkit._outcomes).
    _text("outcome"),
    # The tree versions that answered the session's first and latest events: they differ when
    # the tree changed during the call (the call stays on its first version, so only when that
    # version could not be found).
    Column("first_version", String(16)),
    Column("last_version", String(16)),
    Index("ix_ivrkit_sessions_started_at", "started_at", "id"),
    # Campaigns find a call by the clientRequestId they sent (after a worker died mid-call).
    Index("ix_ivrkit_sessions_client_request_id", "client_request_id"),
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

# -- campaigns (ivrkit.campaigns): whom to call, each call placed, and the workers calling ------

campaigns = Table(
    "ivrkit_campaigns",
    metadata,
    Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    _text("state", nullable=False),
    _text("flow", nullable=False),
    # The settings (rate, window, days, attempts, ...) as the CLI or the API gave them.
    Column("settings", JSON(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Pacing shared by every worker: the next free call slot, the adaptive rate, a hold.
    Column("next_slot_at", UtcDateTime()),
    Column("current_rate", Float, nullable=False),
    Column("hold_until", UtcDateTime()),
)

campaign_contacts = Table(
    "ivrkit_campaign_contacts",
    metadata,
    Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
    Column(
        "campaign_id",
        _ID_TYPE,
        ForeignKey("ivrkit_campaigns.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("line", Integer, nullable=False),
    _text("number", nullable=False),
    Column("variables", JSON(), nullable=False),
    # Zones of the callee ("Asia/Singapore" or several, comma-separated): the window holds in all.
    _text("timezones", nullable=False),
    _text("state", nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    _text("claimed_by"),
    Column("claim_expires", UtcDateTime()),
    _text("outcome"),
    _text("note"),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_ivrkit_campaign_contacts_due", "campaign_id", "state", "due_at"),
    Index("ix_ivrkit_campaign_contacts_number", "campaign_id", "number", unique=True),
)

campaign_attempts = Table(
    "ivrkit_campaign_attempts",
    metadata,
    Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
    Column(
        "contact_id",
        _ID_TYPE,
        ForeignKey("ivrkit_campaign_contacts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    # Sent as clientRequestId and echoed by the platform in the summary: unique, so one attempt
    # is one call whatever worker places it or finds it again.
    _text("client_request_id", nullable=False, unique=True),
    _text("session_id"),
    _text("state", nullable=False),
    _text("status"),
    _text("outcome"),
    Column("error_code", BigInteger),
    _text("note"),
    _text("worker"),
    Column("placed_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime()),
    Index("ix_ivrkit_campaign_attempts_contact", "contact_id", "number", unique=True),
    Index("ix_ivrkit_campaign_attempts_state", "state"),
)

campaign_workers = Table(
    "ivrkit_campaign_workers",
    metadata,
    _text("worker", primary_key=True),
    Column(
        "campaign_id",
        _ID_TYPE,
        ForeignKey("ivrkit_campaigns.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _text("host", nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("heartbeat_at", UtcDateTime(), nullable=False),
)


# -- path analytics (ivrkit.analytics): each step a caller took, and counters folded from them ---

deliveries.append_column(
    # Milliseconds from the request's arrival to its answer being decided (before the commit it
    # then waits for); NULL for deliveries that were not answered from a tree.
    Column("latency_ms", Float)
)
Index("ix_ivrkit_sessions_status_started", sessions.c.status, sessions.c.started_at)
Index("ix_ivrkit_sessions_customer", sessions.c.customer)

path_steps = Table(
    "ivrkit_path_steps",
    metadata,
    # One row per answered CALL_ACTION, in arrival order (a global sequence, as session_digits).
    Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
    _text("session_id", nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    _text("flow", nullable=False),
    _text("version", nullable=False),
    # The node the caller was at when the event came, and how often it had been replayed
    # (NULL for a new inbound call).
    _text("heard"),
    Column("replay", Integer, nullable=False),
    _text("digits"),
    # The route taken from ``heard`` (kind, its value, the node it led to: NULL = the end).
    _text("route"),
    _text("route_value"),
    _text("led_to"),
    # The nodes the answer passed through, space-separated (node names have no spaces).
    _text("passed", nullable=False),
    # Routes taken after the first (branches, hooks, gotos) as JSON [[node, kind, value, to]].
    _text("more_routes"),
    # The outcome label this answer reached, and whether its node is a transfer.
    _text("label"),
    Column("label_transfer", Integer, nullable=False),
    Index("ix_ivrkit_path_steps_session_id", "session_id", "id"),
)

# Counters of ended sessions, by the time slot of the session's start, kept at four spans (a
# day, an hour, 10 minutes, a minute: ivrkit.analytics._buckets.SPANS): slot = seconds since
# the epoch (UTC) // span. A window reads whole days, then whole hours, ... at its edges. An
# unknown flow or version is '' (primary keys cannot hold NULL on PostgreSQL).
path_sessions = Table(
    "ivrkit_path_sessions",
    metadata,
    _text("flow", primary_key=True),
    Column("span", Integer, primary_key=True),
    Column("slot", BigInteger, primary_key=True),
    _text("version", primary_key=True),
    _text("category", primary_key=True),
    _text("outcome", primary_key=True),
    Column("sessions", BigInteger, nullable=False),
    # The primary key is the table on SQLite: a range of slots is read in key order.
    sqlite_with_rowid=False,
)

path_nodes = Table(
    "ivrkit_path_nodes",
    metadata,
    _text("flow", primary_key=True),
    Column("span", Integer, primary_key=True),
    Column("slot", BigInteger, primary_key=True),
    _text("version", primary_key=True),
    _text("node", primary_key=True),
    # reached, visit, route, key, invalid, no-input, retry, retries-exhausted, dropped, next, time
    _text("metric", primary_key=True),
    _text("value", primary_key=True),
    Column("count", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# The overview of every flow reads a range of slots.
Index("ix_ivrkit_path_sessions_slot", path_sessions.c.span, path_sessions.c.slot)

path_paths = Table(
    "ivrkit_path_paths",
    metadata,
    _text("flow", primary_key=True),
    Column("span", Integer, primary_key=True),
    Column("slot", BigInteger, primary_key=True),
    _text("version", primary_key=True),
    _text("path", primary_key=True),
    _text("outcome", primary_key=True),
    # The log-scale bucket of the time to outcome (ivrkit.analytics._buckets.bucket); -1: unknown.
    Column("bucket", Integer, primary_key=True),
    Column("sessions", BigInteger, nullable=False),
    # The primary key is the table on SQLite: a range of slots is read in key order.
    sqlite_with_rowid=False,
)


# -- routing calendars (revision 0007) ---------------------------------------------------------

calendar_switches = Table(
    "ivrkit_calendar_switches",
    metadata,
    # A calendar's name, or "*" for the switch that closes every calendar.
    Column("calendar", String(64), primary_key=True),
    Column("closed", Boolean, nullable=False),
    _text("reason"),
    Column("changed_at", UtcDateTime(), nullable=False),
)


# -- tree versions (ivrkit.store._versions): every version of a tree the server has answered with --

tree_versions = Table(
    "ivrkit_tree_versions",
    metadata,
    _text("flow", primary_key=True),
    Column("version", String(16), primary_key=True),
    # The start of the version written into clientActionId: unique within the flow.
    Column("tag", String(16), nullable=False),
    # The tree's content as canonical JSON (what its version hashes).
    _text("spec", nullable=False),
    Column("first_served_at", UtcDateTime(), nullable=False),
    Column("last_served_at", UtcDateTime(), nullable=False),
    Index("ix_ivrkit_tree_versions_tag", "flow", "tag", unique=True),
)


# -- the event log's projections (revision 0008; ivrkit.store._projector) --------------------------

# What an answered CALL_ACTION tells about its session (a SessionUpdate as JSON): the projector
# builds the session, its digits and its path step from it.
deliveries.append_column(_text("facts"))

projections = Table(
    "ivrkit_projections",
    metadata,
    Column("name", String(64), primary_key=True),
    # The id of the last delivery the projection holds.
    Column("position", BigInteger, nullable=False),
)


# -- what was done to a campaign (revision 0009; ivrkit.campaigns) --------------------------------

campaign_changes = Table(
    "ivrkit_campaign_changes",
    metadata,
    Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
    Column(
        "campaign_id",
        _ID_TYPE,
        ForeignKey("ivrkit_campaigns.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UtcDateTime(), nullable=False),
    # Who did it: the user and host of a command, or what the dashboard says.
    _text("actor", nullable=False),
    # created, edited, paused, resumed, cancelled, renamed; an edit names its setting and the
    # values before and after (as the CLI writes them: "5/s", "09:00-20:00").
    _text("action", nullable=False),
    _text("setting"),
    _text("old"),
    _text("new"),
    Index("ix_ivrkit_campaign_changes_campaign", "campaign_id", "id"),
)
