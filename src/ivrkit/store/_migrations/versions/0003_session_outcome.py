"""Record the outcome label of the last labelled tree node each session reached.

Revision 0003, after 0002. Additive (a nullable column): replicas of the previous version keep
running. Downgrading drops the column and the labels it holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ivrkit_sessions") as batch:
        batch.add_column(sa.Column("outcome", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("ivrkit_sessions") as batch:
        batch.drop_column("outcome")
