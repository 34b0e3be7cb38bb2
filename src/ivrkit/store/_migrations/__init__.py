"""The store's Alembic migrations: ``env.py`` and one file per revision in ``versions/``.

Shipped inside the package and driven by :mod:`ivrkit.store._migrate` (no ``alembic.ini``), so they
run from an installed wheel in any folder. How to write one: ``docs/migrations.md``.
"""
