"""The first commands: serve, call, validate, sessions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ivrkit import rules
from ivrkit._cli import render
from ivrkit._cli.common import configure_logging, console, err_console, open_store_of, settings
from ivrkit._cli.options import MAX_LIMIT, DbOpt, FlowOpt, JsonOpt, require_account
from ivrkit.errors import ConfigError, IvrkitError


def serve(
    flow: Annotated[
        list[str] | None,
        typer.Option(
            "--flow",
            help="IVR tree file or built-in name; repeat to serve several (first is the "
            "default; others answer at /webhooks/vca/{name} and for their virtual numbers).",
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    db: DbOpt = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option("--webhook-secret", help="Expected Authorization header of deliveries."),
    ] = None,
    caller_id: Annotated[str | None, typer.Option(help="Caller ID of callbacks.")] = None,
    agent_number: Annotated[str | None, typer.Option(help="Number the agent route dials.")] = None,
    voice_profile: Annotated[str | None, typer.Option(help="Voice of every prompt.")] = None,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload", help="Reload a tree when its file changes (a failing file is not loaded)."
        ),
    ] = False,
    durability: Annotated[
        str,
        typer.Option(
            help="'commit': every answer waits for its delivery's commit (default). "
            "'answer-first': trees without session variables answer before the commit "
            "(a crash loses the last few ms of deliveries)."
        ),
    ] = "commit",
    commit_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds an answer waits for the store before its delivery is spooled to disk.",
            min=0.05,
            max=60,
        ),
    ] = 2.0,
    read_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds a whole request may take to arrive; slower ones get 408.",
            min=0.5,
            max=600,
        ),
    ] = 10.0,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes sharing the port (each with its own connections to the store).",
            min=1,
            max=64,
        ),
    ] = 1,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="More lines: the server's own and one per HTTP request."
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No line per webhook delivery (by default each delivery is one line: channel, "
            "event type, session, eventId, outcome, status, latency).",
        ),
    ] = False,
    log_format: Annotated[
        str,
        typer.Option(
            help="'text' (default) or 'json': one JSON object per line, with the sessionId, "
            "eventId and clientActionId of the delivery being handled."
        ),
    ] = "text",
    dashboard: Annotated[
        bool,
        typer.Option(
            "--dashboard/--no-dashboard",
            help="Serve the web dashboard at /dashboard (loopback binds, or with a token).",
        ),
    ] = True,
    dashboard_token: Annotated[
        str | None,
        typer.Option(
            "--dashboard-token",
            help="Token that logs in to the dashboard (or IVRKIT_DASHBOARD_TOKEN); needed to "
            "serve it on an address other than loopback.",
        ),
    ] = None,
    show_numbers: Annotated[
        bool,
        typer.Option(
            "--show-numbers", help="Show phone numbers whole in the dashboard (default: last 4)."
        ),
    ] = False,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="Time zone the dashboard shows times in (or IVRKIT_DASHBOARD_TIMEZONE; "
            "default UTC), such as Asia/Singapore; each viewer may choose another.",
        ),
    ] = None,
) -> None:
    """Run the webhook server that answers the platform from IVR trees."""
    from ivrkit import _launch as launch

    uvicorn_logging = configure_logging(verbose, log_format, deliveries=not quiet)
    cfg = settings(
        host=host,
        port=port,
        db=db,
        webhook_secret=webhook_secret,
        caller_id=caller_id,
        agent_number=agent_number,
        voice_profile=voice_profile,
        dashboard_token=dashboard_token,
        dashboard_timezone=timezone,
    )
    names = flow or [part.strip() for part in (cfg.flow or "simple_ivr").split(",") if part.strip()]
    require_lasting_store(cfg.db)
    options = launch.ServeOptions(
        flows=names,
        max_tree_bytes=cfg.max_tree_bytes,
        db=cfg.db,
        host=cfg.host,
        port=cfg.port,
        webhook_secret=cfg.webhook_secret,
        numbers=cfg.tree_numbers(),
        voice_profile=cfg.voice_profile,
        reload=reload,
        durability=durability,
        commit_timeout=commit_timeout,
        read_timeout=read_timeout,
        workers=workers,
        log_level="info" if verbose else "warning",
        access_log=verbose,
        dashboard=dashboard,
        dashboard_token=cfg.dashboard_token,
        show_numbers=show_numbers,
        dashboard_timezone=cfg.dashboard_timezone,
    )
    trees = launch.load_trees(options)  # checked here, so a bad tree fails before any worker
    options.check_bind()  # before the banner: a server that cannot listen says so, in one line
    base = options.base_url
    served = ", ".join(f"{tree.name} (version {tree.version})" for tree in trees.current())
    console.print(
        f"ivrkit serving [bold]{served}[/] on {base} "
        f"(store {render.safe_url(cfg.db)}; auth {'on' if cfg.webhook_secret else 'off'}"
        f"{f'; {workers} workers' if workers > 1 else ''}"
        f"{'; reloading trees on change' if reload else ''})",
        soft_wrap=True,
    )
    console.print(f"  VCA → {base}/webhooks/vca   VSS → {base}/webhooks/vss", soft_wrap=True)
    if dashboard:
        console.print(
            render.dashboard_line(base, options.host, cfg.dashboard_token), soft_wrap=True
        )
    for number, names in trees.shared_numbers().items():
        console.print(
            f"  warning: {', '.join(names)} share +{number}; calls placed from it "
            f"by another program reach {names[0]!r}",
            style="yellow",
            soft_wrap=True,
        )
    launch.run(options, trees, uvicorn_logging)


def call(
    number: Annotated[str, typer.Argument(help="Customer to call back, E.164 (+6512345678).")],
    flow: FlowOpt = None,
    db: DbOpt = None,
    caller_id: Annotated[str | None, typer.Option(help="Caller ID shown to the customer.")] = None,
    agent_number: Annotated[str | None, typer.Option(help="Number the agent route dials.")] = None,
    voice_profile: Annotated[str | None, typer.Option(help="Voice of every prompt.")] = None,
    api_base: Annotated[str | None, typer.Option(help="Voice API base URL.")] = None,
    client_request_id: Annotated[
        str | None, typer.Option(help="Your id for this call, echoed in its session summary.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Place an outbound call that runs the tree's entry menu (Send Callflow)."""
    from ivrkit._callback import place_callback
    from ivrkit.client import VoiceClient
    from ivrkit.trees import load_tree

    cfg = settings(
        flow=flow,
        db=db,
        caller_id=caller_id,
        agent_number=agent_number,
        voice_profile=voice_profile,
        api_base=api_base,
    )
    api_key, subaccount = require_account(cfg.api_key, cfg.subaccount)
    tree = load_tree(
        cfg.flow,
        numbers=cfg.tree_numbers(),
        voice_profile=cfg.voice_profile,
        max_bytes=cfg.max_tree_bytes,
    )
    store = open_store_of(db, create=True)
    try:
        with VoiceClient(api_key, subaccount, base_url=cfg.api_base) as client:
            response = place_callback(
                client, tree, number, store=store, client_request_id=client_request_id
            )
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps(response.to_wire()))
    else:
        console.print(
            f"{response.status_code} {response.status_message}: session "
            f"{response.session_id} ({response.session_status})"
        )


def validate(
    file: Annotated[Path, typer.Argument(help="Callflow JSON file ('-' for standard input).")],
    answer: Annotated[
        bool,
        typer.Option(
            "--answer", help="Check it as an answer to a VCA webhook, not a Send Callflow request."
        ),
    ] = False,
    as_json: JsonOpt = False,
    strict_timeouts: Annotated[
        bool,
        typer.Option(
            help="Read -1005/-1006 strictly (overallTimeout required and > digitTimeout)."
        ),
    ] = False,
) -> None:
    """Check a callflow as the platform would: prints CODE MESSAGE, exits 0 only for code 1."""
    import sys

    if str(file) == "-":
        body = sys.stdin.buffer.read()
    else:
        try:
            body = file.read_bytes()
        except OSError as exc:
            raise IvrkitError(f"cannot read {file}: {exc.strerror or exc}") from exc
    verdict = rules.validate(
        body,
        mode=rules.Mode.ANSWER if answer else rules.Mode.REQUEST,
        platform=rules.Platform(strict_timeouts=strict_timeouts),
    )
    if as_json:
        console.print_json(json.dumps(render.verdict_json(verdict)))
    else:
        console.print(rules.describe(verdict), markup=False)
        for finding in verdict.findings[1:]:
            console.print(f"  also {finding.code} {finding.message}", markup=False)
    raise typer.Exit(0 if verdict.ok else 1)


def sessions(
    db: DbOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="Most sessions to list.")] = 50,
    versions: Annotated[
        bool,
        typer.Option("--versions", help="Show the tree versions that answered each session."),
    ] = False,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help="Show phone numbers whole (default: last 4).")
    ] = False,
) -> None:
    """List recorded sessions, newest first."""
    store = open_store_of(db)
    try:
        rows = store.sessions(limit=limit)
        spool_path = store.spool_path
    finally:
        store.close()
    if as_json:
        listed = [render.session_json(row, show_numbers=show_numbers) for row in rows]
        console.print_json(json.dumps(listed))
    else:
        render.wide(console).print(
            render.sessions_table(rows, versions=versions, show_numbers=show_numbers)
        )
    warn_about_spool(spool_path)


def warn_about_spool(path: Path) -> None:
    """Say on stderr what the store does not hold yet (spooled) or refused (quarantined): the
    spool a webhook server on this store writes (:attr:`ivrkit.store.Store.spool_path`)."""
    from ivrkit.server._spool import Spool

    spool = Spool(path)
    waiting, refused = spool.pending(), spool.quarantined()
    if waiting:
        err_console.print(
            f"warning: {waiting} deliveries wait in {spool.path} for the store; "
            "`ivrkit serve` moves them in when the store works",
            style="yellow",
            soft_wrap=True,
        )
    if refused:
        err_console.print(
            f"warning: {refused} deliveries the store refused are kept in "
            f"{spool.quarantine_path} (one JSON line each, with the reason)",
            style="yellow",
            soft_wrap=True,
        )


def require_lasting_store(db: str) -> None:
    """A server answers 200 to a summary only once it is stored: a store in memory would lose
    every one of them at stop."""
    from ivrkit.store._engine import is_memory, parse_store_url

    if is_memory(parse_store_url(db)):
        raise ConfigError(
            f"the store {db!r} lives in memory and would lose every record at stop: give "
            "--db (or IVRKIT_DB) a file, sqlite:///path/to/ivrkit.db, or postgresql://…"
        )
