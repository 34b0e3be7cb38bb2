"""The dashboard's HTML pages (see the page contract: every figure a test reads has a
``data-testid``). Handlers are plain functions run in Starlette's thread pool: they read the
store synchronously."""

from __future__ import annotations

from datetime import timedelta, tzinfo
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ivrkit._masking import mask_digits, mask_number
from ivrkit.analytics import Filters, Window
from ivrkit.analytics._ranges import RangeError, limited, start_of_day, window
from ivrkit.campaigns import CampaignStore
from ivrkit.dashboard import _campaigns as campaign_pages
from ivrkit.dashboard import _csrf as csrf
from ivrkit.dashboard import _figures as figures
from ivrkit.dashboard import _zones as zones
from ivrkit.dashboard._auth import COOKIE_NAME, check_token, sign_cookie
from ivrkit.dashboard._filters import FIELDS, FilterError, SessionFilters
from ivrkit.dashboard._state import of
from ivrkit.dashboard._timeline import timeline
from ivrkit.errors import CampaignError

__all__ = [
    "campaign",
    "campaign_action",
    "campaign_confirm",
    "campaigns",
    "choose_zone",
    "login",
    "login_form",
    "logout",
    "overview",
    "session",
    "sessions",
    "tree",
    "trees",
]

MAX_LOGIN_BODY = 4096
LIVE_ROWS = 15


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root


def _zone(request: Request) -> tzinfo:
    return zones.zone_of(request, of(request).settings.timezone)


def _render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    dashboard = of(request)
    zone = _zone(request)
    base = {
        "root": _root(request),
        "login_required": dashboard.settings.token is not None,
        "mask": lambda number: mask_number(number, show=dashboard.settings.show_numbers),
        "mask_keys": lambda typed: " ".join(
            mask_digits(keys, show=dashboard.settings.show_numbers) for keys in typed
        ),
        "percent": figures.percent,
        "calls": lambda count: f"{count} call" if count == 1 else f"{count} calls",
        "local": lambda moment, pattern="%Y-%m-%d %H:%M:%S": zones.local(moment, zone, pattern),
        "zone": zones.zone_name(zone),
        "zones": zones.choices(),
        "csrf": csrf.token_of(request),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "error": None,
        "notice": None,
    }
    response = dashboard.templates.TemplateResponse(
        request, name, base | context, status_code=status_code
    )
    response.headers["cache-control"] = "no-store"
    csrf.ensure(request, response)
    return response


def _window(request: Request) -> tuple[Window | None, str | None, str | None]:
    """The range asked for (cut to the longest shown), the error that refused it, and the note
    that says it was cut."""
    dashboard = of(request)
    params = request.query_params
    zone = _zone(request)
    try:
        found = window(
            params.get("since"), params.get("until"), now=dashboard.settings.clock(), zone=zone
        )
    except RangeError as exc:
        return None, str(exc), None
    shown, note = limited(found, zone)
    return shown, None, note


# -- login ---------------------------------------------------------------------------------------


def login_form(request: Request) -> Response:
    return _render(request, "login.html", {"error": None})


async def login(request: Request) -> Response:
    dashboard = of(request)
    settings = dashboard.settings
    root = _root(request)
    if settings.token is None:
        return RedirectResponse(f"{root}/", status_code=303)
    client = request.client.host if request.client else "unknown"
    now = settings.clock()
    # The try is counted before the token is read (the limit may be a file the workers share:
    # read in a thread, off the event loop); a right token then clears the count.
    if not await run_in_threadpool(dashboard.limiter.admit, client, now):
        error = "too many wrong tokens from this address: wait a minute and try again"
        return _render(request, "login.html", {"error": error}, status_code=429)
    body = await request.body()
    given = parse_qs(body[:MAX_LOGIN_BODY].decode("utf-8", "replace")).get("token", [""])[0]
    if not check_token(given, settings.token):
        return _render(request, "login.html", {"error": "wrong token"}, status_code=401)
    await run_in_threadpool(dashboard.limiter.succeeded, client, now)
    lifetime = timedelta(hours=settings.session_hours)
    response = RedirectResponse(f"{root}/", status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        sign_cookie(settings.token, now + lifetime),
        max_age=int(lifetime.total_seconds()),
        path=root or "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    """End the viewer's session: only from this dashboard's own form (a page elsewhere that
    posts here would log the viewer out: 403)."""
    form = await _form(request)
    refused = csrf.check(request, form.get(csrf.FIELD, ""))
    if refused is not None:
        return PlainTextResponse(refused + "\n", status_code=403)
    root = _root(request)
    response = RedirectResponse(f"{root}/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path=root or "/", httponly=True, samesite="strict")
    return response


# -- the viewer's time zone ----------------------------------------------------------------------


async def choose_zone(request: Request) -> Response:
    """A viewer's zone (a cookie for a year), then back to the page they were on."""
    form = await _form(request)
    refused = csrf.check(request, form.get(csrf.FIELD, ""))
    if refused is not None:
        return PlainTextResponse(refused + "\n", status_code=403)
    root = _root(request)
    back = form.get("next", "")
    if not back.startswith(f"{root}/") or back.startswith("//") or "\\" in back:
        back = f"{root}/"
    try:
        zone = zones.parse_zone(form.get("zone", ""))
    except zones.ZoneError as exc:
        return PlainTextResponse(f"{exc}\n", status_code=400)
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(
        zones.COOKIE,
        zones.zone_name(zone),
        max_age=365 * 24 * 3600,
        path=root or "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def _form(request: Request) -> dict[str, str]:
    """A small url-encoded form's fields (the first value of each)."""
    body = await request.body()
    fields = parse_qs(body[:MAX_LOGIN_BODY].decode("utf-8", "replace"))
    return {name: values[0] for name, values in fields.items() if values}


# -- overview ------------------------------------------------------------------------------------


def overview(request: Request) -> Response:
    dashboard = of(request)
    window, error, note = _window(request)
    flow = request.query_params.get("flow") or None
    context: dict[str, Any] = {
        "error": error,
        "notice": note,
        "since": request.query_params.get("since", ""),
        "until": request.query_params.get("until", ""),
        "flow": flow or "",
        "flows": dashboard.analytics.flows(),
    }
    if window is not None:
        filters = Filters(flow=flow)
        now = dashboard.settings.clock()
        summary = dashboard.analytics.overview(window, filters)
        midnight = start_of_day(now, _zone(request))
        today = dashboard.analytics.overview(Window(since=midnight, until=now), filters)
        context |= {
            "overview": summary,
            "today": today.sessions,
            "in_progress": dashboard.analytics.in_progress(),
            "chart": figures.chart_data(summary),
            "recent": dashboard.store.sessions(limit=LIVE_ROWS),
        }
    return _render(request, "overview.html", context, status_code=400 if error else 200)


# -- trees ---------------------------------------------------------------------------------------


def trees(request: Request) -> Response:
    dashboard = of(request)
    window, error, note = _window(request)
    rows = []
    if window is not None:
        for flow in dashboard.analytics.flows():
            numbers = dashboard.analytics.overview(window, Filters(flow=flow))
            rows.append((flow, numbers))
    return _render(
        request,
        "trees.html",
        {
            "rows": rows,
            "error": error,
            "notice": note,
            "since": request.query_params.get("since", ""),
            "until": request.query_params.get("until", ""),
        },
        status_code=400 if error else 200,
    )


def tree(request: Request) -> Response:
    dashboard = of(request)
    flow = str(request.path_params["flow"])
    window, error, note = _window(request)
    context: dict[str, Any] = {
        "flow": flow,
        "error": error,
        "notice": note,
        "since": request.query_params.get("since", ""),
        "until": request.query_params.get("until", ""),
    }
    if window is not None:
        spec = dashboard.trees(flow)
        funnel = dashboard.analytics.funnel(flow, window)
        rows, key_columns = figures.node_rows(spec, funnel)
        context |= {
            "diagram": figures.tree_svg(spec, funnel) if spec is not None else None,
            "rows": rows,
            "columns": [*figures.NODE_FIELDS, *key_columns],
        }
    return _render(request, "tree.html", context, status_code=400 if error else 200)


# -- sessions ------------------------------------------------------------------------------------


def sessions(request: Request) -> Response:
    dashboard = of(request)
    context: dict[str, Any] = {"error": None, "page": None, "filters": None}
    try:
        filters = SessionFilters.from_query(request.query_params)
        context["filters"] = filters
        context["page"] = dashboard.browser.sessions(
            filters.query(dashboard.settings.clock(), _zone(request))
        )
    except FilterError as exc:
        context["error"] = str(exc)
    if context["filters"] is None:
        context["filters"] = SessionFilters({name: "" for name in FIELDS})
    context["flows"] = dashboard.analytics.flows()
    return _render(request, "sessions.html", context, status_code=400 if context["error"] else 200)


def session(request: Request) -> Response:
    dashboard = of(request)
    session_id = str(request.path_params["session_id"])
    detail = dashboard.browser.detail(session_id)
    if detail is None:
        return _render(request, "missing.html", {"session_id": session_id}, status_code=404)
    entries = timeline(detail, show_numbers=dashboard.settings.show_numbers)
    return _render(request, "session.html", {"detail": detail, "entries": entries})


# -- campaigns -----------------------------------------------------------------------------------


def campaigns(request: Request) -> Response:
    dashboard = of(request)
    repo = CampaignStore(dashboard.store)
    rows: list[dict[str, Any]] = []
    for campaign in repo.all():
        status = repo.status(campaign)
        rows.append(
            {
                "name": status.name,
                "state": status.state,
                "progress": campaign_pages.progress_of(status),
                "outcomes": status.by_outcome,
            }
        )
    labels = sorted({label for row in rows for label in row["outcomes"]})
    return _render(request, "campaigns.html", {"rows": rows, "labels": labels})


def campaign(request: Request) -> Response:
    dashboard = of(request)
    name = str(request.path_params["name"])
    try:
        page = campaign_pages.campaign_page(dashboard.store, name, dashboard.settings.clock())
    except CampaignError as exc:
        return _render(request, "campaign_missing.html", {"what": str(exc)}, status_code=404)
    notice = {
        "pause": "Paused: no new calls until it is resumed.",
        "resume": "Resumed.",
        "cancel": "Cancelled: contacts not yet called are cancelled.",
    }.get(request.query_params.get("done", ""))
    return _render(
        request,
        "campaign.html",
        {"page": page, "now": dashboard.settings.clock(), "notice": notice},
    )


def campaign_confirm(request: Request) -> Response:
    """The question before an action: what it does, and a form that does it."""
    dashboard = of(request)
    name = str(request.path_params["name"])
    action = str(request.path_params["action"])
    if action not in campaign_pages.ACTIONS:
        return PlainTextResponse(f"no action {action[:20]!r}: pause, resume or cancel\n", 404)
    try:
        found = CampaignStore(dashboard.store).get(name)
    except CampaignError as exc:
        return _render(request, "campaign_missing.html", {"what": str(exc)}, status_code=404)
    return _render(
        request,
        "campaign_confirm.html",
        {
            "campaign": found,
            "action": action,
            "effect": campaign_pages.ACTIONS[action][1],
            "allowed": action in campaign_pages.allowed_actions(found.state),
        },
    )


async def campaign_action(request: Request) -> Response:
    """Pause, resume or cancel a campaign (the confirmation's form, with its CSRF token)."""
    dashboard = of(request)
    name = str(request.path_params["name"])
    action = str(request.path_params["action"])
    if action not in campaign_pages.ACTIONS:
        return PlainTextResponse(f"no action {action[:20]!r}: pause, resume or cancel\n", 404)
    form = await _form(request)
    refused = csrf.check(request, form.get(csrf.FIELD, ""))
    if refused is not None:
        return PlainTextResponse(refused + "\n", status_code=403)
    if form.get("confirm") != "yes":
        return PlainTextResponse("confirm the action: its form sends confirm=yes\n", 400)
    state = campaign_pages.ACTIONS[action][0]
    repo = CampaignStore(dashboard.store)
    now = dashboard.settings.clock()
    try:
        # Recorded with the campaign's changes (`campaign status` shows who did what).
        await run_in_threadpool(lambda: repo.set_state(name, state, now, actor="dashboard"))
    except CampaignError as exc:
        return PlainTextResponse(f"{exc}\n", status_code=409)
    root = _root(request)
    return RedirectResponse(f"{root}/campaigns/{quote(name)}?done={action}", status_code=303)
