"""Add callback campaigns: campaigns, their contacts, each call attempt, and their workers.

Revision 0004, after 0003. Additive (four new tables and an index on the sessions'
clientRequestId): replicas of the previous version keep running. Downgrading drops the
campaigns and everything they recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_index(
        "ix_ivrkit_sessions_client_request_id", "ivrkit_sessions", ["client_request_id"]
    )
    op.create_table(
        "ivrkit_campaigns",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("flow", sa.Text(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        _time("created_at", nullable=False),
        _time("next_slot_at"),
        sa.Column("current_rate", sa.Float(), nullable=False),
        _time("hold_until"),
    )
    op.create_table(
        "ivrkit_campaign_contacts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "campaign_id",
            _ID,
            sa.ForeignKey("ivrkit_campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("timezones", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        _time("due_at", nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.Text()),
        _time("claim_expires"),
        sa.Column("outcome", sa.Text()),
        sa.Column("note", sa.Text()),
        _time("updated_at", nullable=False),
    )
    op.create_index(
        "ix_ivrkit_campaign_contacts_due",
        "ivrkit_campaign_contacts",
        ["campaign_id", "state", "due_at"],
    )
    op.create_index(
        "ix_ivrkit_campaign_contacts_number",
        "ivrkit_campaign_contacts",
        ["campaign_id", "number"],
        unique=True,
    )
    op.create_table(
        "ivrkit_campaign_attempts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "contact_id",
            _ID,
            sa.ForeignKey("ivrkit_campaign_contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("client_request_id", sa.Text(), nullable=False, unique=True),
        sa.Column("session_id", sa.Text()),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("status", sa.Text()),
        sa.Column("outcome", sa.Text()),
        sa.Column("error_code", sa.BigInteger()),
        sa.Column("note", sa.Text()),
        sa.Column("worker", sa.Text()),
        _time("placed_at", nullable=False),
        _time("ended_at"),
    )
    op.create_index(
        "ix_ivrkit_campaign_attempts_contact",
        "ivrkit_campaign_attempts",
        ["contact_id", "number"],
        unique=True,
    )
    op.create_index("ix_ivrkit_campaign_attempts_state", "ivrkit_campaign_attempts", ["state"])
    op.create_table(
        "ivrkit_campaign_workers",
        sa.Column("worker", sa.Text(), primary_key=True),
        sa.Column(
            "campaign_id",
            _ID,
            sa.ForeignKey("ivrkit_campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        _time("started_at", nullable=False),
        _time("heartbeat_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ivrkit_campaign_workers")
    op.drop_table("ivrkit_campaign_attempts")
    op.drop_table("ivrkit_campaign_contacts")
    op.drop_table("ivrkit_campaigns")
    op.drop_index("ix_ivrkit_sessions_client_request_id", table_name="ivrkit_sessions")
