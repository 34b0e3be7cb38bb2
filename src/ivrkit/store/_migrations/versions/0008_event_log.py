"""The deliveries become the event log the session tables are projected from.

Revision 0008, after 0007. A CALL_ACTION's row carries what it tells about its session
(``facts``); ``ivrkit_projections`` keeps how far the projections have followed the log, set to
the newest delivery here (everything stored before is already in the session tables). The second
index on ``event_id`` goes: nothing reads by it, and ``answered_event_id`` keeps events unique.
Downgrading drops the position (and the facts): an older ivrkit writes the session tables itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ivrkit_deliveries") as batch:
        batch.add_column(sa.Column("facts", sa.Text()))
        batch.drop_index("ix_ivrkit_deliveries_event_id")
    projections = op.create_table(
        "ivrkit_projections",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
    )
    last = op.get_bind().execute(sa.text("SELECT max(id) FROM ivrkit_deliveries")).scalar()
    op.bulk_insert(projections, [{"name": "sessions", "position": int(last or 0)}])


def downgrade() -> None:
    op.drop_table("ivrkit_projections")
    with op.batch_alter_table("ivrkit_deliveries") as batch:
        batch.create_index("ix_ivrkit_deliveries_event_id", ["event_id"])
        batch.drop_column("facts")
