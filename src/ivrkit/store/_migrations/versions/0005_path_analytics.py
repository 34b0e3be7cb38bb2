"""Add path analytics: each step a caller took in a tree, the counters folded from ended
sessions, and each answer's latency.

Revision 0005, after 0004. Additive (four new tables, a nullable column on the deliveries and
two indexes on the sessions): replicas of the previous version keep running. Sessions recorded
before it have no steps; ``ivrkit db rebuild-analytics`` folds the summarised ones into the
counters. Downgrading drops the steps, the counters and the latencies.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _key(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), primary_key=True)


def upgrade() -> None:
    with op.batch_alter_table("ivrkit_deliveries") as batch:
        batch.add_column(sa.Column("latency_ms", sa.Float()))
    op.create_index(
        "ix_ivrkit_sessions_status_started", "ivrkit_sessions", ["status", "started_at"]
    )
    op.create_index("ix_ivrkit_sessions_customer", "ivrkit_sessions", ["customer"])
    op.create_table(
        "ivrkit_path_steps",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("heard", sa.Text()),
        sa.Column("replay", sa.Integer(), nullable=False),
        sa.Column("digits", sa.Text()),
        sa.Column("route", sa.Text()),
        sa.Column("route_value", sa.Text()),
        sa.Column("led_to", sa.Text()),
        sa.Column("passed", sa.Text(), nullable=False),
        sa.Column("more_routes", sa.Text()),
        sa.Column("label", sa.Text()),
        sa.Column("label_transfer", sa.Integer(), nullable=False),
    )
    op.create_index("ix_ivrkit_path_steps_session_id", "ivrkit_path_steps", ["session_id", "id"])
    op.create_table(
        "ivrkit_path_sessions",
        _key("flow"),
        sa.Column("span", sa.Integer(), primary_key=True),
        sa.Column("slot", sa.BigInteger(), primary_key=True),
        _key("version"),
        _key("category"),
        _key("outcome"),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ivrkit_path_nodes",
        _key("flow"),
        sa.Column("span", sa.Integer(), primary_key=True),
        sa.Column("slot", sa.BigInteger(), primary_key=True),
        _key("version"),
        _key("node"),
        _key("metric"),
        _key("value"),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ivrkit_path_sessions_slot", "ivrkit_path_sessions", ["span", "slot"])
    op.create_table(
        "ivrkit_path_paths",
        _key("flow"),
        sa.Column("span", sa.Integer(), primary_key=True),
        sa.Column("slot", sa.BigInteger(), primary_key=True),
        _key("version"),
        _key("path"),
        _key("outcome"),
        sa.Column("bucket", sa.Integer(), primary_key=True),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("ivrkit_path_paths")
    op.drop_table("ivrkit_path_nodes")
    op.drop_index("ix_ivrkit_path_sessions_slot", table_name="ivrkit_path_sessions")
    op.drop_table("ivrkit_path_sessions")
    op.drop_index("ix_ivrkit_path_steps_session_id", table_name="ivrkit_path_steps")
    op.drop_table("ivrkit_path_steps")
    op.drop_index("ix_ivrkit_sessions_customer", table_name="ivrkit_sessions")
    op.drop_index("ix_ivrkit_sessions_status_started", table_name="ivrkit_sessions")
    with op.batch_alter_table("ivrkit_deliveries") as batch:
        batch.drop_column("latency_ms")
