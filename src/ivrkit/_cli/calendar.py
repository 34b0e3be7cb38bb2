"""`ivrkit calendar check` and `ivrkit closed`: asking a routing calendar, and the emergency
"closed now" switch every running server obeys within seconds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ivrkit._cli.common import console, open_store_of
from ivrkit._cli.options import DbOpt, JsonOpt
from ivrkit.errors import ConfigError

if TYPE_CHECKING:
    from ivrkit.calendars import Switch
    from ivrkit.store import Store

calendar_app = typer.Typer(
    help="Ask routing calendars whether they are open.", no_args_is_help=True
)


@calendar_app.command()
def check(
    calendar: Annotated[Path, typer.Argument(help="Calendar file (YAML).")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Moment to ask about: 2026-12-24T10:00 (the calendar's local time) or with an "
            "offset (+01:00, Z). Default: now.",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Also obey the emergency switch kept in this store."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Say whether a calendar is open at a moment, and which rule decided."""
    from ivrkit.calendars import load_calendar, local_moment

    loaded = load_calendar(calendar)
    moment = local_moment(at, loaded.zone) if at else datetime.now(UTC)
    switches: dict[str, Switch] | None = None
    if db is not None:
        store = _open(db)
        try:
            from ivrkit.store._calendars import SwitchStore

            switches = SwitchStore(store).closed()
        finally:
            store.close()
    status = loaded.status(moment, switches)
    local = status.local
    when = f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({loaded.zone.key})"
    if as_json:
        body = {
            "calendar": loaded.name,
            "at": local.isoformat(),
            "open": status.open,
            "rule": status.rule,
            "reason": status.reason,
            "switchChecked": db is not None,
        }
        console.print_json(json.dumps(body, ensure_ascii=False))
        return
    state = "[green]open[/]" if status.open else "[bold red]closed[/]"
    console.print(f"{loaded.name}: {state} at {when}", soft_wrap=True)
    console.print(f"  rule: {status.rule} — {status.reason}", markup=False, soft_wrap=True)
    if db is None:
        console.print("  (emergency switch not checked: give --db)", style="dim", soft_wrap=True)


def closed(
    state: Annotated[
        str | None, typer.Argument(help="on (closed now, whatever the rules say) or off.")
    ] = None,
    calendar: Annotated[
        str | None, typer.Argument(help="The calendar to switch (default: every calendar).")
    ] = None,
    db: DbOpt = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (shown by `ivrkit closed`).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The emergency switch: `closed on [CALENDAR]` closes now, `closed off` lets the rules
    decide again, `closed` alone shows the switches. Running servers obey within seconds."""
    from ivrkit.store._calendars import SwitchStore

    if state is not None and state.lower() not in ("on", "off"):
        raise ConfigError(f"ivrkit closed takes 'on' or 'off', not {state!r}")
    if state is None and (calendar is not None or reason is not None):
        raise ConfigError("say 'on' or 'off' first: ivrkit closed on support --reason '...'")
    if reason is not None and state is not None and state.lower() == "off":
        raise ConfigError("--reason goes with 'on' (why the calendar is closed)")
    store = _open(db)
    try:
        switches = SwitchStore(store)
        if state is not None:
            switches.set(
                calendar, closed=state.lower() == "on", now=datetime.now(UTC), reason=reason
            )
        shown = switches.all()
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps([_switch_json(s) for s in shown], ensure_ascii=False))
        return
    on = [s for s in shown if s.closed]
    if not on:
        console.print("no emergency switch is on: every calendar follows its rules")
        return
    for switch in on:
        console.print(switch.describe(), markup=False, soft_wrap=True)


def _switch_json(switch: Switch) -> dict[str, object]:
    return {
        "calendar": switch.calendar,
        "closed": switch.closed,
        "reason": switch.reason,
        "changedAt": switch.changed_at.isoformat(),
    }


def _open(db: str | None) -> Store:
    return open_store_of(db)
