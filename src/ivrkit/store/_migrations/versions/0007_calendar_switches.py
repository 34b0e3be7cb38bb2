"""Add the emergency "closed now" switches of routing calendars.

Revision 0007, after 0004. Additive (one new table): replicas of the previous version keep
running. Downgrading drops the switches (every calendar then follows its rules again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ivrkit_calendar_switches",
        sa.Column("calendar", sa.String(64), primary_key=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ivrkit_calendar_switches")
