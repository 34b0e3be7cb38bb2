"""The store as ivrkit created it before migrations (schema_version 1 in ivrkit_meta).

Revision 0001, the first. On an empty database it creates the tables; on a store made by an
ivrkit from before migrations (the same tables, no version table) it creates only what is missing,
so the store is adopted in place with its data. Downgrading drops every table and its data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: later revisions change the tables, this one must keep building the
# layout of its time (schema.py's types are UtcDateTime/SafeText over these same column types).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)
TEXT = sa.Text()


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def _tables() -> list[tuple[str, list[sa.schema.SchemaItem]]]:
    return [
        (
            "ivrkit_meta",
            [
                sa.Column("key", sa.String(64), primary_key=True),
                sa.Column("value", TEXT, nullable=False),
            ],
        ),
        (
            "ivrkit_deliveries",
            [
                _id(),
                sa.Column("channel", TEXT, nullable=False),
                sa.Column("received_at", TIME, nullable=False),
                sa.Column("body", TEXT, nullable=False),
                sa.Column("headers", sa.JSON(), nullable=False),
                sa.Column("http_status", sa.Integer(), nullable=False),
                sa.Column("answer", TEXT),
                sa.Column("outcome", TEXT, nullable=False),
                sa.Column("note", TEXT),
                sa.Column("event_id", TEXT),
                sa.Column("event_type", TEXT),
                sa.Column("session_id", TEXT),
                sa.Column("answered_event_id", TEXT),
                sa.Index(
                    "ix_ivrkit_deliveries_answered_event_id", "answered_event_id", unique=True
                ),
                sa.Index("ix_ivrkit_deliveries_session_id", "session_id", "id"),
                sa.Index("ix_ivrkit_deliveries_event_id", "event_id"),
            ],
        ),
        (
            "ivrkit_sessions",
            [
                _id(),
                sa.Column("session_id", TEXT, nullable=False, unique=True),
                sa.Column("status", TEXT, nullable=False),
                sa.Column("direction", TEXT),
                sa.Column("sub_account_id", TEXT),
                sa.Column("customer", TEXT),
                sa.Column("flow", TEXT),
                sa.Column("node", TEXT),
                sa.Column("answer_last_action", TEXT),
                sa.Column("summary_last_action", TEXT),
                sa.Column("started_at", TIME),
                sa.Column("ended_at", TIME),
                sa.Column("call_count", sa.BigInteger()),
                sa.Column("error_code", sa.BigInteger()),
                sa.Column("error_message", TEXT),
                sa.Column("client_request_id", TEXT),
                sa.Column("request_id", TEXT),
                sa.Column("updated_at", TIME, nullable=False),
                sa.Index("ix_ivrkit_sessions_started_at", "started_at", "id"),
            ],
        ),
        (
            "ivrkit_session_digits",
            [
                _id(),
                sa.Column(
                    "session_id",
                    TEXT,
                    sa.ForeignKey("ivrkit_sessions.session_id", ondelete="CASCADE"),
                    nullable=False,
                ),
                sa.Column("digits", TEXT, nullable=False),
                sa.Column("at", TIME, nullable=False),
                sa.Index("ix_ivrkit_session_digits_session_id", "session_id", "id"),
            ],
        ),
        (
            "ivrkit_summaries",
            [
                _id(),
                sa.Column(
                    "session_id",
                    TEXT,
                    sa.ForeignKey("ivrkit_sessions.session_id", ondelete="CASCADE"),
                    nullable=False,
                    unique=True,
                ),
                sa.Column("session_status", TEXT, nullable=False),
                sa.Column("received_at", TIME, nullable=False),
                sa.Column("payload", sa.JSON(), nullable=False),
                sa.Column("version", sa.BigInteger()),
            ],
        ),
        (
            "ivrkit_legs",
            [
                _id(),
                sa.Column(
                    "summary_id",
                    ID,
                    sa.ForeignKey("ivrkit_summaries.id", ondelete="CASCADE"),
                    nullable=False,
                ),
                sa.Column("name", TEXT, nullable=False),
                sa.Column("call_id", TEXT),
                sa.Column("direction", TEXT),
                sa.Column("call_type", TEXT),
                sa.Column("status", TEXT),
                sa.Column("source", TEXT),
                sa.Column("destination", TEXT),
                sa.Column("initiated_at", TIME),
                sa.Column("connected_at", TIME),
                sa.Column("disconnected_at", TIME),
                sa.Column("duration_seconds", sa.BigInteger()),
                sa.Column("mos", sa.Float()),
                sa.Column("packet_loss_rate", sa.Float()),
                sa.Column("jitter", sa.Float()),
                sa.Index("ix_ivrkit_legs_summary_id", "summary_id", "name"),
            ],
        ),
        (
            "ivrkit_variables",
            [
                sa.Column("session_id", TEXT, primary_key=True),
                sa.Column("name", TEXT, primary_key=True),
                sa.Column("value", TEXT, nullable=False),
            ],
        ),
    ]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, items in _tables():
        if name not in existing:
            op.create_table(name, *items)
    meta = sa.table("ivrkit_meta", sa.column("key", sa.String()), sa.column("value", sa.Text()))
    recorded = (
        op.get_bind()
        .execute(sa.select(meta.c.value).where(meta.c.key == "schema_version"))
        .scalar_one_or_none()
    )
    if recorded is None:
        op.bulk_insert(meta, [{"key": "schema_version", "value": "1"}])


def downgrade() -> None:
    for name, _items in reversed(_tables()):
        op.drop_table(name)
