"""The `ivrkit` application, assembled in one place from the command modules.

Command modules define plain functions (and their own sub-applications) and never import this
module. `ivrkit --help` lists the commands grouped by task (Typer's ``rich_help_panel``), in the
order below; every help text is one paragraph per blank-line-separated paragraph of its
docstring, so the terminal wraps it at its own width rather than where the source broke it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Annotated, Any

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

START = "Get started"
BUILD = "Write and check a tree"
RUN = "Run it for callers"
LOOK = "See what callers did"
PANELS = (START, BUILD, RUN, LOOK)
"""The task groups of `ivrkit --help`, in the order it shows them."""

app = typer.Typer(
    name="ivrkit",
    help="Build, run and test phone IVRs on the 8x8 Voice Callflows API. New here? Run "
    "`ivrkit demo`, then `ivrkit init my-ivr`.",
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


def paragraphs(text: str | None) -> str | None:
    """A docstring as help: its lines joined into paragraphs (a blank line still separates
    two), so that no line breaks in the middle of a sentence at any terminal width."""
    if not text:
        return text
    cleaned = inspect.cleandoc(text)
    return "\n\n".join(
        " ".join(part.split()) for part in re.split(r"\n\s*\n", cleaned) if part.strip()
    )


def _command(function: Callable[..., Any], panel: str, name: str | None = None) -> None:
    app.command(name, help=paragraphs(function.__doc__), rich_help_panel=panel)(function)


def _group(sub: typer.Typer, name: str, panel: str) -> None:
    for info in sub.registered_commands:
        if info.help is None and info.callback is not None:
            info.help = paragraphs(info.callback.__doc__)
        elif info.help is not None:
            info.help = paragraphs(info.help)
    app.add_typer(sub, name=name, rich_help_panel=panel)


_command(sim.demo, START)
_command(starter.init, START)
_command(sim.simulator, START)
_command(sim.phone, START)

_command(trees.lint, BUILD)
_command(trees.graph, BUILD)
_command(changes.diff, BUILD)
_command(changes.replay, BUILD)
_command(core.validate, BUILD)
_command(trees.schema, BUILD)
_group(calendar.calendar_app, "calendar", BUILD)

_command(core.serve, RUN)
_command(core.call, RUN)
_group(campaign.campaign_app, "campaign", RUN)
_command(calendar.closed, RUN)
_group(webhooks.webhooks_app, "webhooks", RUN)
_group(db.db_app, "db", RUN)

_command(core.sessions, LOOK)
_command(report.report, LOOK)
_command(dashboard.dashboard, LOOK)
