"""Keep every tree version the server answered with, and which version answered each delivery
and each session's first and latest events.

Revision 0006, after 0004. Additive (a new table and nullable columns): replicas of the previous
version keep running. Downgrading drops the versions and the columns naming them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "ivrkit_tree_versions",
        sa.Column("flow", sa.Text(), primary_key=True),
        sa.Column("version", sa.String(16), primary_key=True),
        sa.Column("tag", sa.String(16), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        _time("first_served_at"),
        _time("last_served_at"),
    )
    op.create_index(
        "ix_ivrkit_tree_versions_tag", "ivrkit_tree_versions", ["flow", "tag"], unique=True
    )
    with op.batch_alter_table("ivrkit_deliveries") as batch:
        batch.add_column(sa.Column("version", sa.String(16)))
    with op.batch_alter_table("ivrkit_sessions") as batch:
        batch.add_column(sa.Column("first_version", sa.String(16)))
        batch.add_column(sa.Column("last_version", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("ivrkit_sessions") as batch:
        batch.drop_column("last_version")
        batch.drop_column("first_version")
    with op.batch_alter_table("ivrkit_deliveries") as batch:
        batch.drop_column("version")
    op.drop_index("ix_ivrkit_tree_versions_tag", table_name="ivrkit_tree_versions")
    op.drop_table("ivrkit_tree_versions")
