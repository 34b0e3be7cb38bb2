"""Record who changed a campaign, when, and what (settings before and after, pauses, cancels).

Revision 0009, after 0008. Additive (one new table): replicas of the previous version keep
running. Downgrading drops the record of changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ivrkit_campaign_changes",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "campaign_id",
            _ID,
            sa.ForeignKey("ivrkit_campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("setting", sa.Text()),
        sa.Column("old", sa.Text()),
        sa.Column("new", sa.Text()),
    )
    op.create_index(
        "ix_ivrkit_campaign_changes_campaign", "ivrkit_campaign_changes", ["campaign_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("ivrkit_campaign_changes")
