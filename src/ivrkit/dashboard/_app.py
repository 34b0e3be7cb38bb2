"""The dashboard as a Starlette app: the pages, their JSON mirrors, the live stream and the static
files, behind the access guard. ``ivrkit serve`` mounts it at ``/dashboard`` beside the webhook
server (:mod:`ivrkit._launch`); ``ivrkit dashboard``
serves it alone, reading a store it writes to only to pause, resume or cancel a campaign."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ivrkit.dashboard import _api as api
from ivrkit.dashboard import _pages as pages
from ivrkit.dashboard._access import Guard
from ivrkit.dashboard._settings import DashboardSettings
from ivrkit.dashboard._state import Dashboard, TreeLookup, no_trees
from ivrkit.errors import IvrkitError, StoreError
from ivrkit.store import Store
from ivrkit.trees import _svg as svg

__all__ = ["PREFIX", "create_dashboard", "standalone_app"]

PREFIX = "/dashboard"
log = logging.getLogger("ivrkit.dashboard")


def diagram_css(request: Request) -> Response:
    return Response(
        svg.STYLE + svg.OVERLAY_STYLE,
        media_type="text/css",
        headers={"cache-control": "max-age=3600"},
    )


def trouble(request: Request, exc: Exception) -> Response:
    """A store that cannot answer (or a question it refuses) is one line, never a traceback."""
    status = 503 if isinstance(exc, StoreError) else 400
    log.warning("dashboard %s: %s", request.url.path, exc)
    return PlainTextResponse(f"{exc}\n", status_code=status)


def create_dashboard(
    store: Store,
    settings: DashboardSettings | None = None,
    *,
    trees: TreeLookup = no_trees,
) -> Starlette:
    """The dashboard app for ``store``, to mount at :data:`PREFIX`. Without a token and on a bind
    that is not loopback it serves nothing but a 404 saying why (logged once here)."""
    settings = settings or DashboardSettings()
    dashboard = Dashboard(store, settings, trees)
    if not settings.served:
        log.warning("%s", settings.refusal)
    routes = [
        Route("/", pages.overview, methods=["GET"]),
        Route("/login", pages.login_form, methods=["GET"]),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/zone", pages.choose_zone, methods=["POST"]),
        Route("/trees", pages.trees, methods=["GET"]),
        Route("/trees/{flow:str}", pages.tree, methods=["GET"]),
        Route("/sessions", pages.sessions, methods=["GET"]),
        Route("/sessions.csv", api.sessions_csv, methods=["GET"]),
        Route("/sessions/{session_id:path}", pages.session, methods=["GET"]),
        Route("/campaigns", pages.campaigns, methods=["GET"]),
        Route("/campaigns/{name:str}", pages.campaign, methods=["GET"]),
        Route("/campaigns/{name:str}/{action:str}", pages.campaign_confirm, methods=["GET"]),
        Route("/campaigns/{name:str}/{action:str}", pages.campaign_action, methods=["POST"]),
        Route("/events", dashboard.feed.endpoint, methods=["GET"]),
        Route("/api/overview", api.overview, methods=["GET"]),
        Route("/api/funnel/{flow:str}", api.funnel, methods=["GET"]),
        Route("/api/sessions", api.sessions, methods=["GET"]),
        Route("/api/sessions/{session_id:path}", api.session, methods=["GET"]),
        Route("/api/campaigns", api.campaigns, methods=["GET"]),
        Route("/static/diagram.css", diagram_css, methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("ivrkit.dashboard", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, settings=settings)],
        exception_handlers={IvrkitError: trouble},
    )
    app.state.dashboard = dashboard
    return app


def standalone_app(
    store: Store, settings: DashboardSettings, *, trees: TreeLookup = no_trees
) -> Starlette:
    """The dashboard alone (``ivrkit dashboard``): at :data:`PREFIX`, with ``/`` leading there."""
    dashboard = create_dashboard(store, settings, trees=trees)

    def home(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    app = Starlette(routes=[Route("/", home), Mount(PREFIX, dashboard)])
    app.state.dashboard = dashboard.state.dashboard
    app.state.dashboard_feed = dashboard.state.dashboard.feed
    return app
