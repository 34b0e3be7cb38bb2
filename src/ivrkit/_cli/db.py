"""`ivrkit db upgrade | downgrade | current | history`: the store's schema revision;
`ivrkit db rebuild-analytics`: the path analytics counters recomputed from the raw rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ivrkit._cli import render
from ivrkit._cli.common import console, existing_store_url, open_store_of, settings
from ivrkit._cli.options import DbOpt

if TYPE_CHECKING:
    from ivrkit.store._migrate import SchemaState

db_app = typer.Typer(
    help="Show and change the store's schema revision (migrations).", no_args_is_help=True
)


@db_app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Revision to reach.")] = "head",
    db: DbOpt = None,
) -> None:
    """Upgrade the store to a revision (default: the newest), keeping its data."""
    from ivrkit.store import _migrate as migrate

    url = settings(db=db).db
    before, after = migrate.upgrade(url, revision)
    _report(url, before, after)


@db_app.command()
def downgrade(
    revision: Annotated[
        str, typer.Argument(help="Revision to go back to ('base' drops every table and its data).")
    ],
    db: DbOpt = None,
) -> None:
    """Downgrade the store to an older revision (for going back to an older ivrkit)."""
    from ivrkit.store import _migrate as migrate

    url = existing_store_url(db)
    before, after = migrate.downgrade(url, revision)
    _report(url, before, after)


@db_app.command()
def current(db: DbOpt = None) -> None:
    """Print the store's revision and whether this ivrkit can use it."""
    from ivrkit.store import _migrate as migrate

    console.print(migrate.current(existing_store_url(db)).describe(), markup=False, soft_wrap=True)


@db_app.command()
def history() -> None:
    """List the revisions this ivrkit knows, newest first."""
    from ivrkit.store import _migrate as migrate

    for rev in migrate.revisions():
        mark = " (head)" if rev.is_head else ""
        console.print(f"{rev.revision}{mark}  {rev.message}", markup=False, soft_wrap=True)


@db_app.command("rebuild-analytics")
def rebuild_analytics(db: DbOpt = None) -> None:
    """Recompute the path analytics counters from the recorded steps and summaries (after an
    upgrade from a store without them, or to check them)."""
    from ivrkit.analytics import rebuild

    url = settings(db=db).db
    with open_store_of(db) as store:
        result = rebuild(store)
    console.print(
        f"{render.safe_url(url)}: {result.sessions} ended sessions folded into "
        f"{result.rows} counter rows",
        markup=False,
        soft_wrap=True,
    )


def _report(url: str, before: SchemaState, after: SchemaState) -> None:
    where = render.safe_url(url)
    if before == after:
        console.print(f"{where}: already at {after.describe()}", markup=False, soft_wrap=True)
        return
    was = before.current or ("made before migrations" if before.kind == "legacy" else "empty")
    console.print(f"{where}: {was} → {after.describe()}", markup=False, soft_wrap=True)
