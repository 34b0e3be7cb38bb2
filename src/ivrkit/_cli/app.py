"""The `ivrkit` application, assembled in one place from the command modules.

Command modules define plain functions (and their own sub-applications) and never import this
module. `ivrkit --help` lists the commands in the order below, then the groups.
"""

from __future__ import annotations

from typing import Annotated

import typer

import ivrkit
from ivrkit._cli import (
    calendar,
    campaign,
    changes,
    core,
    dashboard,
    db,
    report,
    sim,
    starter,
    trees,
    webhooks,
)

app = typer.Typer(
    name="ivrkit",
    help="Build, run and test phone IVRs on the 8x8 Voice Callflows API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"ivrkit {ivrkit.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version of ivrkit and exit.",
        ),
    ] = False,
) -> None:
    """Build, run and test phone IVRs on the 8x8 Voice Callflows API."""


app.command()(core.serve)
app.command()(core.call)
app.command()(core.validate)
app.command()(core.sessions)
app.command()(calendar.closed)
app.command()(changes.diff)
app.command()(changes.replay)
app.command()(dashboard.dashboard)
app.command()(report.report)
app.command()(sim.demo)
app.command()(sim.simulator)
app.command()(sim.phone)
app.command()(starter.init)
app.command()(trees.lint)
app.command()(trees.graph)
app.command()(trees.schema)
app.add_typer(webhooks.webhooks_app, name="webhooks")
app.add_typer(db.db_app, name="db")
app.add_typer(calendar.calendar_app, name="calendar")
app.add_typer(campaign.campaign_app, name="campaign")
