"""Versioned by Alembic from now on: schema_version 2 in ivrkit_meta.

Revision 0002, after 0001. An ivrkit from before migrations refuses a store whose
schema_version is above 1 ("newer than this ivrkit understands"), so it can no longer write to a
store that later revisions change under it. Downgrading to 0001 gives such an ivrkit its store back.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_META = sa.table("ivrkit_meta", sa.column("key", sa.String()), sa.column("value", sa.Text()))


def _set_version(value: str) -> None:
    op.execute(sa.update(_META).where(_META.c.key == "schema_version").values(value=value))


def upgrade() -> None:
    _set_version("2")


def downgrade() -> None:
    _set_version("1")
