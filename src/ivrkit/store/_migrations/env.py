"""Alembic's entry point: run the migrations on the connection ivrkit hands over.

:mod:`ivrkit.store._migrate` opens the connection (and its transaction, and on PostgreSQL an
advisory lock) and puts it in ``config.attributes["connection"]``; offline SQL is not offered.
"""

from __future__ import annotations

from alembic import context

from ivrkit.store import _schema as schema
from ivrkit.store._migrate import VERSION_TABLE, include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("ivrkit's migrations run through ivrkit.store._migrate (or `ivrkit db`)")

context.configure(
    connection=connection,
    target_metadata=schema.metadata,
    version_table=VERSION_TABLE,
    include_name=include_name,
    # SQLite alters a table by copying it: autogenerate writes batch operations for it.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
