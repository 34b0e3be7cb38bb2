"""`ivrkit campaign create | run | status | pause | resume | cancel | report | list`."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ivrkit._cli.common import console, err_console, open_store_of, settings
from ivrkit._cli.options import DbOpt, FlowOpt, JsonOpt, require_account
from ivrkit._csv import writer as csv_writer
from ivrkit.errors import ConfigError

if TYPE_CHECKING:
    from ivrkit.campaigns import CampaignStatus, CampaignStore, ContactReport
    from ivrkit.store import Store

campaign_app = typer.Typer(
    help="Call a list of customers back: paced, inside their calling windows, with retries.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="The campaign's name.")]
WhenOpt = Annotated[str | None, typer.Option(help="ISO 8601 time with its offset.")]


def _say(text: str) -> None:
    """One line for people and machines alike: never wrapped, no markup."""
    console.out(text, highlight=False)


def _warn(text: str) -> None:
    err_console.out(text, highlight=False)


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
    flow_name = cfg.flow or "simple_ivr"
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
        campaign = campaigns.create(name, chosen, found, datetime.now(UTC))
    finally:
        store.close()
    console.print(
        f"campaign {campaign.name}: {len(found.contacts)} to call, "
        f"{len(found.do_not_call)} on the do-not-call list, {len(found.duplicates)} duplicate(s)",
        markup=False,
        soft_wrap=True,
    )
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
    """Work on a campaign until it is done, paused, cancelled, or --until passes; start as
    many as you like on PostgreSQL (one on SQLite)."""
    from ivrkit.campaigns import Runner
    from ivrkit.client import VoiceClient
    from ivrkit.trees import load_tree

    cfg = settings(db=db, api_base=api_base)
    api_key, subaccount = require_account(cfg.api_key, cfg.subaccount)
    stop = _when(until, "--until")
    store, campaigns = _open(db)
    try:
        campaign = campaigns.get(name)
        tree = load_tree(
            campaign.settings.flow, numbers=cfg.tree_numbers(), max_bytes=cfg.max_tree_bytes
        )
        # No retry inside the client: the campaign paces itself on a 429 (and retries the contact).
        with VoiceClient(api_key, subaccount, base_url=cfg.api_base, max_retries=0) as client:
            result = Runner(campaigns, name, client, tree).run(until=stop)
    finally:
        store.close()
    console.print(
        f"campaign {name}: {result.reason}; {result.calls_placed} call(s) placed by this worker",
        markup=False,
        soft_wrap=True,
    )


def _status_lines(status: CampaignStatus) -> list[str]:
    states = ", ".join(f"{k} {v}" for k, v in status.by_state.items()) or "no contacts"
    outcomes = ", ".join(f"{k} {v}" for k, v in status.by_outcome.items()) or "none yet"
    eta = "-" if status.eta_seconds is None else f"{status.eta_seconds:.0f}s"
    return [
        f"campaign {status.name}: {status.state}, {status.total} contact(s)",
        f"contacts: {states}",
        f"outcomes: {outcomes}",
        f"calls placed: {status.calls_placed}; rate {status.rate_per_minute:.1f}/min; eta {eta}",
    ]


@campaign_app.command()
def status(name: NameArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Contacts by state and by outcome, the call rate and the time left."""
    store, campaigns = _open(db)
    try:
        found = campaigns.status(campaigns.get(name))
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps(found.to_json()))
        return
    for line in _status_lines(found):
        _say(line)


def _set_state(name: str, db: str | None, state: str) -> None:
    store, campaigns = _open(db)
    try:
        campaign = campaigns.set_state(name, state, datetime.now(UTC))
    finally:
        store.close()
    _say(f"campaign {campaign.name}: {campaign.state}")


@campaign_app.command()
def pause(name: NameArg, db: DbOpt = None) -> None:
    """Stop placing calls (calls in progress end normally)."""
    from ivrkit.campaigns._model import PAUSED

    _set_state(name, db, PAUSED)


@campaign_app.command()
def resume(name: NameArg, db: DbOpt = None) -> None:
    """Place calls again after a pause."""
    from ivrkit.campaigns._model import ACTIVE

    _set_state(name, db, ACTIVE)


@campaign_app.command()
def cancel(name: NameArg, db: DbOpt = None) -> None:
    """End the campaign: contacts not yet called end as cancelled."""
    from ivrkit.campaigns._model import CANCELLED

    _set_state(name, db, CANCELLED)


def report_csv(rows: list[ContactReport]) -> str:
    """One row per contact: number, variables, attempts, each attempt, final outcome."""
    names = sorted({key for row in rows for key in row.variables})
    most = max((len(row.attempts) for row in rows), default=0)
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    header = ["line", "number", *names, "state", "outcome", "attempts"]
    for n in range(1, most + 1):
        header += [f"attempt{n}_session", f"attempt{n}_status", f"attempt{n}_outcome"]
    writer.writerow(header)
    for row in rows:
        cells = [str(row.line), row.number, *(row.variables.get(k, "") for k in names)]
        cells += [row.state, row.outcome or "", str(len(row.attempts))]
        for attempt in row.attempts:
            cells += [
                attempt.session_id or "",
                attempt.status or attempt.state,
                attempt.outcome or "",
            ]
        writer.writerow(cells)
    return out.getvalue()


@campaign_app.command()
def report(
    name: NameArg,
    db: DbOpt = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """One row per contact: number, variables, each attempt's session, status and outcome,
    and the final outcome."""
    store, campaigns = _open(db)
    try:
        rows = campaigns.report(campaigns.get(name))
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps([row.to_json() for row in rows]))
    elif as_csv:
        console.out(report_csv(rows), end="", highlight=False)
    else:
        for row in rows:
            sessions = " ".join(a.session_id or a.state for a in row.attempts) or "-"
            _say(
                f"{row.line:>5} {row.number:<16} {row.state:<9} {row.outcome or '-':<14} "
                f"{len(row.attempts)} attempt(s) {sessions}"
            )


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
    for c in found:
        console.print(
            f"{c.name}\t{c.state}\t{c.settings.flow}\t{c.created_at.isoformat()}",
            markup=False,
            soft_wrap=True,
        )
