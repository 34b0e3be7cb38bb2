"""`ivrkit campaign create | run | status | edit | pause | resume | cancel | report | list`."""

from __future__ import annotations

import getpass
import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from ivrkit._cli import campaign_output as output
from ivrkit._cli.common import console, err_console, open_store_of, settings
from ivrkit._cli.options import DbOpt, FlowOpt, JsonOpt, require_account
from ivrkit._cli.render import wide
from ivrkit._cli.screen import for_people
from ivrkit.errors import ConfigError

if TYPE_CHECKING:
    from ivrkit.campaigns import CampaignStore
    from ivrkit.campaigns._model import Wait
    from ivrkit.store import Store

campaign_app = typer.Typer(
    help="Call a list of customers back: paced, inside their calling windows, with retries.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="The campaign's name.")]
WhenOpt = Annotated[str | None, typer.Option(help="ISO 8601 time with its offset.")]


def _say(text: str) -> None:
    """One line, no markup: wrapped between words on a terminal, never wrapped in a pipe."""
    for_people(console).print(Text(text))


def _warn(text: str) -> None:
    err_console.out(text, highlight=False)


def actor() -> str:
    """Who runs this command, as a campaign's changes record it: ``user@host``."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _flow_of(flow: str) -> str:
    """A built-in tree's name as it is; a file as its absolute path, so `campaign run` finds it
    from any folder."""
    from ivrkit.trees import BUILTIN_FLOWS

    if flow in BUILTIN_FLOWS:
        return flow
    return str(Path(flow).expanduser().resolve())


def _when(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not a date and time (e.g. 2026-03-02T09:00+08:00)"
        ) from None
    if moment.tzinfo is None:
        raise ConfigError(f"{option} {text!r} needs a UTC offset (e.g. +08:00 or Z)")
    return moment.astimezone(UTC)


def _open(db: str | None, *, create: bool = False) -> tuple[Store, CampaignStore]:
    """The store and its campaigns; only ``campaign create`` makes a store that is not there."""
    from ivrkit.campaigns import CampaignStore

    store = open_store_of(db, create=create)
    return store, CampaignStore(store)


@campaign_app.command()
def create(
    name: NameArg,
    contacts: Annotated[Path, typer.Option("--contacts", help="CSV with a number column.")],
    flow: FlowOpt = None,
    db: DbOpt = None,
    rate: Annotated[str, typer.Option(help="Most calls per second: 5/s, 300/m.")] = "5/s",
    max_concurrent: Annotated[int, typer.Option(min=1, help="Most calls in progress.")] = 10,
    window: Annotated[str, typer.Option(help="Local calling hours, HH:MM-HH:MM.")] = "09:00-20:00",
    days: Annotated[str, typer.Option(help="Calling days: mon-fri, sat,sun, ...")] = "mon-sun",
    attempts: Annotated[int, typer.Option(min=1, max=100, help="Most calls per contact.")] = 3,
    retry_after: Annotated[str, typer.Option(help="Wait before a retry: 30m, 2h.")] = "30m",
    dnc: Annotated[Path | None, typer.Option("--dnc", help="Do-not-call numbers file.")] = None,
    region: Annotated[str, typer.Option(help="Region of numbers written without +.")] = "SG",
    start: Annotated[
        str | None, typer.Option(help="No call before (ISO 8601 with offset).")
    ] = None,
    end: Annotated[str | None, typer.Option(help="No call after (ISO 8601 with offset).")] = None,
) -> None:
    """Create a campaign from a contacts file (bad rows refuse the whole file)."""
    from pydantic import ValidationError

    from ivrkit.campaigns import (
        CampaignSettings,
        parse_duration,
        parse_rate,
        read_contacts,
        read_dnc,
    )
    from ivrkit.campaigns._contacts import check_region
    from ivrkit.trees import load_tree

    cfg = settings(flow=flow, db=db)
    region = check_region(region)
    flow_name = _flow_of(cfg.flow or "simple_ivr")
    load_tree(flow_name, numbers=cfg.tree_numbers(), max_bytes=cfg.max_tree_bytes)
    try:
        chosen = CampaignSettings(
            flow=flow_name,
            rate=parse_rate(rate),
            max_concurrent=max_concurrent,
            window=window,
            days=days,
            attempts=attempts,
            retry_after=parse_duration(retry_after),
            start=_when(start, "--start"),
            end=_when(end, "--end"),
            region=region,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"campaign settings: {first['msg'].removeprefix('Value error, ')}"
        ) from None
    blocked = read_dnc(dnc, region) if dnc is not None else set()
    found = read_contacts(contacts, region=region, do_not_call=blocked)
    store, campaigns = _open(db, create=True)
    try:
        before = {c.name: c for c in campaigns.all()}.get(name)
        campaign = campaigns.create(name, chosen, found, datetime.now(UTC), actor=actor())
        kept = campaigns.get_by_id(before.id) if before is not None else None
    finally:
        store.close()
    console.print(
        f"campaign {campaign.name}: {len(found.contacts)} to call, "
        f"{len(found.do_not_call)} on the do-not-call list, {len(found.duplicates)} duplicate(s)",
        markup=False,
        soft_wrap=True,
    )
    if kept is not None:
        _say(f"the {kept.state} campaign named {name} before is kept as {kept.name}")
    for line, number in found.duplicates:
        err_console.print(
            f"line {line}: duplicate of {number}, not called twice", markup=False, soft_wrap=True
        )
    for contact in found.do_not_call:
        err_console.print(
            f"line {contact.line}: {contact.number} is on the do-not-call list, not called",
            markup=False,
            soft_wrap=True,
        )


@campaign_app.command()
def run(
    name: NameArg,
    db: DbOpt = None,
    until: Annotated[
        str | None, typer.Option(help="Stop at this time (ISO 8601 with offset).")
    ] = None,
    api_base: Annotated[str | None, typer.Option(help="Voice API base URL.")] = None,
) -> None:
    """Work on a campaign until it is done, cancelled, or --until passes, saying what it waits
    for (its calling window, a retry, pacing); while it is paused it waits for `campaign
    resume`. Start as many as you like on PostgreSQL (one on SQLite)."""
    from ivrkit.campaigns import Runner
    from ivrkit.campaigns._outlook import rate_text
    from ivrkit.client import VoiceClient
    from ivrkit.trees import load_tree

    cfg = settings(db=db, api_base=api_base)
    api_key, subaccount = require_account(cfg.api_key, cfg.subaccount)
    stop = _when(until, "--until")
    store, campaigns = _open(db)

    def told(wait: Wait | None) -> None:
        _say(f"campaign {name}: {wait.describe() if wait else 'calling again'}")

    try:
        campaign = campaigns.get(name)
        tree = load_tree(
            campaign.settings.flow, numbers=cfg.tree_numbers(), max_bytes=cfg.max_tree_bytes
        )
        s = campaign.settings
        _say(
            f"campaign {name}: {campaign.state}; at most {rate_text(s.rate)}, "
            f"{s.max_concurrent} at once, {s.calling_window().describe()} in each contact's zone"
        )
        # No retry inside the client: the campaign paces itself on a 429 (and retries the contact).
        with VoiceClient(api_key, subaccount, base_url=cfg.api_base, max_retries=0) as client:
            result = Runner(campaigns, name, client, tree).run(
                until=stop, on_wait=told, wait_while_paused=True
            )
    finally:
        store.close()
    console.print(
        f"campaign {name}: {result.reason}; {result.calls_placed} call(s) placed by this worker",
        markup=False,
        soft_wrap=True,
    )


@campaign_app.command()
def status(name: NameArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Contacts by state and outcome, the call rate, the next call due and what the campaign
    waits for, the time left, and who changed it."""
    store, campaigns = _open(db)
    try:
        found = campaigns.status(campaigns.get(name))
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps(found.to_json()))
        return
    for line in output.status_lines(found):
        _say(line)


def _set_state(name: str, db: str | None, state: str) -> None:
    store, campaigns = _open(db)
    try:
        campaign = campaigns.set_state(name, state, datetime.now(UTC), actor=actor())
        workers = campaigns.workers(campaign)
    finally:
        store.close()
    _say(f"campaign {campaign.name}: {campaign.state}")
    running = ", ".join(f"pid {pid} on {host}" for _, host, pid in workers)
    if state == "cancelled":
        _say(f"its name is free: a new `ivrkit campaign create {name}` keeps this one as {name}~ID")
    elif state == "paused" and workers:
        _say(f"its workers ({running}) end the calls in progress, then wait for a resume")
    elif state == "active" and workers:
        _say(f"its workers ({running}) go on calling")
    elif state == "active":
        _say(f"no worker runs it: start one with `ivrkit campaign run {name}`")


@campaign_app.command()
def pause(name: NameArg, db: DbOpt = None) -> None:
    """Stop placing calls (calls in progress end normally); workers wait for a resume."""
    from ivrkit.campaigns._model import PAUSED

    _set_state(name, db, PAUSED)


@campaign_app.command()
def resume(name: NameArg, db: DbOpt = None) -> None:
    """Place calls again after a pause: workers waiting go on; says when none is running."""
    from ivrkit.campaigns._model import ACTIVE

    _set_state(name, db, ACTIVE)


@campaign_app.command()
def cancel(name: NameArg, db: DbOpt = None) -> None:
    """End the campaign: contacts not yet called end as cancelled, and its name is free for a
    new campaign (this one is then kept as NAME~ID)."""
    from ivrkit.campaigns._model import CANCELLED

    _set_state(name, db, CANCELLED)


@campaign_app.command()
def edit(
    name: NameArg,
    db: DbOpt = None,
    rate: Annotated[str | None, typer.Option(help="Most calls per second: 5/s, 300/m.")] = None,
    window: Annotated[str | None, typer.Option(help="Local calling hours, HH:MM-HH:MM.")] = None,
    days: Annotated[str | None, typer.Option(help="Calling days: mon-fri, sat,sun, ...")] = None,
    attempts: Annotated[
        int | None, typer.Option(min=1, max=100, help="Most calls per contact.")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="No call after (ISO 8601 with offset), or 'none'.")
    ] = None,
    max_concurrent: Annotated[
        int | None, typer.Option(min=1, help="Most calls in progress.")
    ] = None,
    retry_after: Annotated[str | None, typer.Option(help="Wait before a retry: 30m, 2h.")] = None,
    flow: FlowOpt = None,
) -> None:
    """Change an active or paused campaign's settings; each change is recorded (who, when,
    old → new) and shown by `campaign status`."""
    from ivrkit.campaigns import parse_duration, parse_rate
    from ivrkit.trees import load_tree

    changes: dict[str, object] = {}
    if rate is not None:
        changes["rate"] = parse_rate(rate)
    for key, value in (("window", window), ("days", days), ("attempts", attempts)):
        if value is not None:
            changes[key] = value
    if max_concurrent is not None:
        changes["max_concurrent"] = max_concurrent
    if retry_after is not None:
        changes["retry_after"] = parse_duration(retry_after)
    if end is not None:
        changes["end"] = None if end.strip().lower() == "none" else _when(end, "--end")
    if flow is not None:
        cfg = settings(flow=flow)
        path = _flow_of(flow)
        load_tree(path, numbers=cfg.tree_numbers(), max_bytes=cfg.max_tree_bytes)
        changes["flow"] = path
    if not changes:
        raise ConfigError(
            "nothing to change: give --rate, --window, --days, --attempts, --end, "
            "--max-concurrent, --retry-after or --flow"
        )
    store, campaigns = _open(db)
    try:
        _, done = campaigns.edit(name, changes, datetime.now(UTC), actor=actor())
    finally:
        store.close()
    if not done:
        _say(f"campaign {name}: nothing changed (the settings were already so)")
    for change in done:
        _say(f"campaign {name}: {change.describe()}")


@campaign_app.command()
def report(
    name: NameArg,
    db: DbOpt = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """One row per contact: number, state, outcome, when it is due, each attempt's session (with
    --csv: variables and each attempt's status and outcome too)."""
    store, campaigns = _open(db)
    try:
        rows = campaigns.report(campaigns.get(name))
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps([row.to_json() for row in rows]))
    elif as_csv:
        console.out(output.report_csv(rows), end="", highlight=False)
    else:
        wide(console).print(output.report_table(rows))


@campaign_app.command("list")
def list_campaigns(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every campaign with its state and flow."""
    store, campaigns = _open(db)
    try:
        found = campaigns.all()
    finally:
        store.close()
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "name": c.name,
                        "state": c.state,
                        "flow": c.settings.flow,
                        "createdAt": c.created_at.isoformat(),
                    }
                    for c in found
                ]
            )
        )
        return
    if not found:
        _say(output.EMPTY_STORE)
        return
    wide(console).print(output.campaigns_table(found))
