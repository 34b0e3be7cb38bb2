"""`ivrkit dashboard`: the web dashboard alone, reading a store it writes to only when a person
pauses, resumes or cancels a campaign."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import typer

from ivrkit._cli import render
from ivrkit._cli.common import configure_logging, console, open_store_of, settings
from ivrkit._cli.options import DbOpt
from ivrkit.errors import ConfigError, TreeError

if TYPE_CHECKING:
    from ivrkit.trees._model import TreeSpec


def dashboard(
    db: DbOpt = None,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Token that logs in (or IVRKIT_DASHBOARD_TOKEN); needed to bind an address "
            "other than loopback.",
        ),
    ] = None,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help="Show phone numbers whole (default: last 4).")
    ] = False,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="Time zone times are shown in (or IVRKIT_DASHBOARD_TIMEZONE; default UTC), "
            "such as Asia/Singapore; each viewer may choose another.",
        ),
    ] = None,
    flow: Annotated[
        list[str] | None,
        typer.Option(
            "--flow",
            help="IVR tree file or built-in name to draw (repeat); trees the store names are "
            "looked up among the built-in ones.",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Serve the web dashboard of a store: calls, trees, sessions, campaigns (which it may
    pause, resume or cancel), live."""
    import uvicorn

    from ivrkit._http_protocol import server_config
    from ivrkit._launch import close_streams_on_exit
    from ivrkit._serving import check_bind
    from ivrkit.dashboard import DashboardSettings, standalone_app

    uvicorn_logging = configure_logging(verbose, "text")
    cfg = settings(db=db, host=host, port=port, dashboard_token=token, dashboard_timezone=timezone)
    dashboard_settings = DashboardSettings(
        host=cfg.host,
        token=cfg.dashboard_token,
        show_numbers=show_numbers,
        timezone=cfg.dashboard_timezone,
    )
    if not dashboard_settings.served:
        raise ConfigError(dashboard_settings.refusal)
    trees = _trees(flow or [])
    store = open_store_of(db)
    try:
        check_bind(cfg.host, cfg.port, command="dashboard")
        app = standalone_app(store, dashboard_settings, trees=lambda name: trees.get(name))
        base = f"http://{cfg.host}:{cfg.port}"
        console.print(f"ivrkit dashboard of {render.safe_url(cfg.db)} (read-only)", soft_wrap=True)
        console.print(render.dashboard_line(base, cfg.host, cfg.dashboard_token), soft_wrap=True)
        server = uvicorn.Server(
            server_config(
                app,
                host=cfg.host,
                port=cfg.port,
                log_level="info" if verbose else "warning",
                access_log=verbose,
                **uvicorn_logging,
            )
        )
        close_streams_on_exit(server, app)
        server.run()
    finally:
        store.close()


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class _Trees:
    """The trees given with --flow, then built-in trees by name, loaded when first asked for."""

    def __init__(self, given: dict[str, TreeSpec]) -> None:
        self.known: dict[str, TreeSpec | None] = dict(given)

    def get(self, name: str) -> TreeSpec | None:
        if name in self.known:
            return self.known[name]
        # A name from a URL: only a built-in tree's plain name, never a path.
        if not _PLAIN_NAME.match(name) or len(self.known) > 1000:
            return None
        from ivrkit.trees import load_tree
        from ivrkit.trees._loader import builtin_path

        spec = None
        if builtin_path(name).is_file():
            try:
                spec = load_tree(builtin_path(name)).spec
            except (TreeError, OSError):
                spec = None
        self.known[name] = spec
        return spec


def _trees(flows: list[str]) -> _Trees:
    from ivrkit.trees import load_tree

    given = {}
    for flow in flows:
        spec = load_tree(flow).spec
        given[spec.name] = spec
    return _Trees(given)
