"""`ivrkit demo`, `ivrkit simulator` and `ivrkit phone`: ivrkit without a phone line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from ivrkit._cli import render
from ivrkit._cli.common import configure_logging, console, settings
from ivrkit._cli.screen import Column, FittedTable, Framed, for_people, heading
from ivrkit.errors import ConfigError

if TYPE_CHECKING:
    from ivrkit._narrate import NarratedLine

STYLES = {
    "spoken": "cyan",
    "pressed": "bold yellow",
    "leg": "magenta",
    "webhook": "green",
    "summary": "green",
    "capture": "yellow",
    "note": "red",
    "ended": "bold",
}


DEMO_INTRO = Framed(
    "A simulated 8x8 Voice platform places the guide's callback to +6512345678 three times; "
    "ivrkit's webhook server answers each webhook from the built-in simple IVR.",
    title="ivrkit demo",
)
"""What `ivrkit demo` shows first."""


def styled(line: NarratedLine) -> Text:
    return Text.assemble((f"{line.at}  ", "dim"), (line.text, STYLES.get(line.kind, "")))


def timed(line: NarratedLine) -> Table:
    """A narrated line for a person: the time, then the text wrapped beside it (a hanging
    indent, so the times stay in one column at any width)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(overflow="fold")
    grid.add_row(line.at, Text(line.text, style=STYLES.get(line.kind, "")))
    return grid


def demo(
    timeout: Annotated[
        float, typer.Option(help="Seconds each call may take.", min=1, max=3600)
    ] = 30.0,
    campaign: Annotated[
        bool, typer.Option("--campaign", help="Play a 20-customer callback campaign instead.")
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Keep the calls in this store (default: IVRKIT_DB if set, else a throwaway one).",
        ),
    ] = None,
) -> None:
    """Play the guide's simple IVR three times through a simulated platform; exit 0 only if
    every call did what the IVR says. With --campaign, a callback campaign of 20 customers."""
    cfg = settings(db=db)
    kept = cfg.db if "db" in cfg.model_fields_set else None
    if campaign:
        campaign_demo(kept)
        return
    from ivrkit._demo import run_demo
    from ivrkit.store import SessionRecord

    out = for_people(console)
    out.print(DEMO_INTRO)

    def show_call(title: str, lines: list[NarratedLine], summary: str, problems: list[str]) -> None:
        heading(out, title)
        for line in lines:
            out.print(timed(line))
        out.print(Text(summary, style="bold"))
        for problem in problems:
            out.print(Text(f"✗ {problem}", style="bold red"))
        if not problems:
            out.print(Text("✓ the call did what the simple IVR says", style="bold green"))

    def show_sessions(rows: list[SessionRecord]) -> None:
        heading(out, "What the store recorded (ivrkit sessions)")
        out.print(render.sessions_table(rows, title=""))

    results = run_demo(show_call, show_sessions, timeout=timeout, db=kept)
    failed = [result for result in results if result.problems]
    if failed:
        out.print(Text(f"{len(failed)} of {len(results)} calls went wrong", style="bold red"))
        raise typer.Exit(1)
    out.print(Text(f"all {len(results)} calls did what the simple IVR says", style="bold green"))
    if kept is not None:
        out.print(
            Text(
                f"the calls are kept in {render.safe_url(kept)}: `ivrkit dashboard --db "
                f"{render.safe_url(kept)}` shows them, `ivrkit replay --flow FILE` plays them "
                "again against a changed tree"
            )
        )


def simulator(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8700,
    speed: Annotated[
        str,
        typer.Option(
            help="'max' (no waiting), or how many times faster than real time (1 = real time)."
        ),
    ] = "1",
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="Require this bearer token on the Voice API routes."),
    ] = None,
    subaccount: Annotated[
        str | None, typer.Option(help="Serve only this subaccount id (others get 404).")
    ] = None,
    trunk_capacity: Annotated[
        int | None,
        typer.Option(
            "--trunk-capacity",
            min=0,
            help="Calls the trunk carries at once; one more fails with -2010 (default: no limit).",
        ),
    ] = None,
    rate_limit: Annotated[
        float | None,
        typer.Option(
            "--rate-limit",
            min=0.001,
            max=1_000_000,
            help="Send Callflow requests a second; past them the platform answers 429 with "
            "Retry-After (default: no limit).",
        ),
    ] = None,
    rate_limit_burst: Annotated[
        int | None,
        typer.Option(
            "--rate-limit-burst",
            min=1,
            max=1_000_000,
            help="Requests saved up for a burst (default: one second's worth).",
        ),
    ] = None,
    phones: Annotated[
        Path | None,
        typer.Option(
            "--phones",
            help="Phone scripts to start with: a YAML or JSON scenario (numbers, ranges, "
            "prefixes, a default).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run a local simulator of the 8x8 Voice platform (its REST API, calls and webhooks)."""
    from ivrkit._serving import check_bind
    from ivrkit.simulator import run_simulator
    from ivrkit.simulator._account.scenario import load_scenario

    configure_logging(verbose)
    rate = parse_speed(speed)
    scenario = load_scenario(phones) if phones is not None else None
    check_bind(host, port, command="simulator")
    console.print(
        f"simulated Voice API on http://{host}:{port} (speed {speed}); "
        f"point IVRKIT_API_BASE there. Control API: http://{host}:{port}/sim/v1/"
    )
    run_simulator(
        host,
        port,
        speed=rate,
        api_key=api_key,
        subaccount=subaccount,
        trunk_capacity=trunk_capacity,
        rate_limit=rate_limit,
        rate_limit_burst=rate_limit_burst,
        phones=scenario,
    )


def parse_speed(text: str) -> float | None:
    if text.strip().lower() == "max":
        return None
    try:
        rate = float(text)
    except ValueError:
        raise ConfigError(f"--speed takes 'max' or a number above 0, not {text!r}") from None
    if rate <= 0:
        raise ConfigError(f"--speed takes 'max' or a number above 0, not {text!r}")
    return rate


def phone(
    sim: Annotated[
        str, typer.Option("--sim", help="Base URL of a running `ivrkit simulator`.")
    ] = "http://127.0.0.1:8700",
    number: Annotated[str, typer.Option(help="This phone's number.")] = "+6512345678",
    call: Annotated[
        str | None,
        typer.Option(
            "--call", help="Call this virtual number (else wait for the platform to call)."
        ),
    ] = None,
    speak: Annotated[
        bool,
        typer.Option(
            "--speak/--no-speak", help="Speak prompts aloud with espeak-ng when installed."
        ),
    ] = True,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for an incoming call.", min=0, max=86_400)
    ] = 300.0,
) -> None:
    """An interactive softphone: hear each prompt and press digits on the keyboard."""
    import sys

    from ivrkit._softphone import HELP, Softphone, Speaker
    from ivrkit.simulator import SimulatorControl

    speaker = Speaker(speak)
    with SimulatorControl(sim) as control:
        softphone = Softphone(
            control, number, show=lambda line: console.print(styled(line)), speaker=speaker
        )
        if call:
            session_id = softphone.dial(call)
            console.print(f"{number} calls {call} (session {session_id})")
        else:
            console.print(f"{number} is waiting for a call (up to {wait:g}s)…")
            session_id = softphone.wait_for_call(wait)
            console.print(f"ring ring: session {session_id}")
        note = "" if speaker.available or not speak else " (espeak-ng not installed: text only)"
        console.print(Text(HELP + note, style="dim"))
        view = softphone.follow(session_id, sys.stdin)
    from ivrkit._narrate import summary_line

    console.print(Text(summary_line(view), style="bold"))


def campaign_demo(db: str | None = None) -> None:
    """`ivrkit demo --campaign`: exit 0 only if every contact ended as scripted; the calls and
    the campaign are kept in the store ``db`` when given."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Column as RichColumn

    from ivrkit.campaigns._demo import CUSTOMERS, run_campaign_demo
    from ivrkit.campaigns._model import CampaignStatus

    out = for_people(console)
    out.print(
        Framed(
            f"A callback campaign of {len(CUSTOMERS)} customers through a simulated 8x8 Voice "
            "platform: the simple IVR asks each whether the issue is resolved.",
            title="ivrkit demo --campaign",
        )
    )
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}", table_column=RichColumn(overflow="fold")),
        console=out,
    ) as progress:
        task = progress.add_task("done", total=len(CUSTOMERS), detail="")

        def on_progress(status: CampaignStatus) -> None:
            finished = status.total - sum(
                status.by_state.get(state, 0) for state in ("pending", "claimed", "calling")
            )
            outcomes = ", ".join(f"{k} {v}" for k, v in status.by_outcome.items())
            progress.update(task, completed=finished, detail=outcomes)

        def on_step(text: str) -> None:
            progress.console.print(Text(f"⏱ {text}", style="cyan"))

        result = run_campaign_demo(on_progress, on_step, db=db)
    heading(out, "ivrkit campaign report callbacks")
    rows = [
        [
            row.number,
            row.variables.get("name", ""),
            row.outcome or "-",
            str(len(row.attempts)),
            ", ".join(f"{a.status or a.state}→{a.outcome or '-'}" for a in row.attempts) or "-",
        ]
        for row in result.report
    ]
    out.print(FittedTable(CAMPAIGN_COLUMNS, rows))
    for problem in result.problems:
        out.print(Text(f"✗ {problem}", style="bold red"))
    if result.problems:
        raise typer.Exit(1)
    out.print(Text(f"all {len(result.report)} contacts ended as scripted", style="bold green"))
    if db is not None:
        where = render.safe_url(db)
        out.print(
            Text(
                f"the campaign and its calls are kept in {where}: `ivrkit campaign status "
                f"callbacks --db {where}` and `ivrkit dashboard --db {where}` show them"
            )
        )


CAMPAIGN_COLUMNS = (
    Column("number"),
    Column("name", keep=2),
    Column("outcome"),
    Column("attempts", keep=1, justify="right"),
    Column("calls", keep=3),
)
"""The campaign demo's report; on a narrow terminal the calls go first, then the names."""
