"""The dashboard's JSON mirrors (overview, funnel, sessions, a session, campaigns) and the CSV
export of sessions; numbers masked in both as on the pages."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ivrkit._csv import csv_text
from ivrkit._csv import writer as csv_writer
from ivrkit._masking import mask_digits, mask_number
from ivrkit.analytics import Filters, Window
from ivrkit.analytics._ranges import RangeError, limited, start_of_day, window
from ivrkit.campaigns import CampaignStore
from ivrkit.dashboard import _figures as figures
from ivrkit.dashboard import _zones as zones
from ivrkit.dashboard._filters import FilterError, SessionFilters
from ivrkit.dashboard._state import of
from ivrkit.dashboard._timeline import timeline
from ivrkit.store._records import SessionRecord

__all__ = ["campaigns", "funnel", "overview", "session", "session_json", "sessions", "sessions_csv"]

JSON = "application/json"
CSV_PAGE = 500
"""Sessions read from the store per chunk of the CSV export."""
CSV_COLUMNS = (
    "session_id",
    "started_at",
    "ended_at",
    "status",
    "outcome",
    "flow",
    "node",
    "customer",
    "direction",
    "digits",
    "duration_seconds",
)


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status_code,
        media_type=JSON,
        headers={"cache-control": "no-store"},
    )


def _problem(message: str) -> Response:
    return _json({"error": message}, status_code=400)


def _window(request: Request) -> tuple[Window, str | None]:
    """The range asked for, cut to the longest shown, and the note saying so when it was cut."""
    params = request.query_params
    zone = _zone(request)
    found = window(
        params.get("since"), params.get("until"), now=of(request).settings.clock(), zone=zone
    )
    return limited(found, zone)


def _zone(request: Request) -> tzinfo:
    """The zone ranges are read in: the viewer's, as on the pages."""
    return zones.zone_of(request, of(request).settings.timezone)


def session_json(record: SessionRecord, *, show_numbers: bool) -> dict[str, Any]:
    return {
        "sessionId": record.session_id,
        "status": record.status,
        "outcome": record.outcome,
        "flow": record.flow,
        "node": record.node,
        "customer": mask_number(record.customer, show=show_numbers),
        "direction": record.direction,
        "digits": [mask_digits(typed, show=show_numbers) for typed in record.digits],
        "startedAt": record.started_at.isoformat() if record.started_at else None,
        "endedAt": record.ended_at.isoformat() if record.ended_at else None,
        "durationSeconds": record.duration_seconds,
    }


def overview(request: Request) -> Response:
    dashboard = of(request)
    try:
        window, note = _window(request)
    except RangeError as exc:
        return _problem(str(exc))
    filters = Filters(flow=request.query_params.get("flow") or None)
    now = dashboard.settings.clock()
    midnight = start_of_day(now, _zone(request))
    today = dashboard.analytics.overview(Window(since=midnight, until=now), filters)
    body = figures.overview_json(
        dashboard.analytics.overview(window, filters),
        today=today.sessions,
        in_progress=dashboard.analytics.in_progress(),
    )
    if note:
        body["note"] = note
    return _json(body)


def funnel(request: Request) -> Response:
    dashboard = of(request)
    try:
        window, note = _window(request)
    except RangeError as exc:
        return _problem(str(exc))
    flow = str(request.path_params["flow"])
    body = figures.funnel_json(dashboard.analytics.funnel(flow, window))
    if note:
        body["note"] = note
    return _json(body)


def sessions(request: Request) -> Response:
    dashboard = of(request)
    show = dashboard.settings.show_numbers
    try:
        filters = SessionFilters.from_query(request.query_params)
        page = dashboard.browser.sessions(filters.query(dashboard.settings.clock(), _zone(request)))
    except FilterError as exc:
        return _problem(str(exc))
    return _json(
        {
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "perPage": page.per_page,
            "sessions": [session_json(record, show_numbers=show) for record in page.sessions],
        }
    )


def session(request: Request) -> Response:
    dashboard = of(request)
    show = dashboard.settings.show_numbers
    detail = dashboard.browser.detail(str(request.path_params["session_id"]))
    if detail is None:
        return _json({"error": "no such session in the store"}, status_code=404)
    entries = [
        {
            "kind": entry.kind,
            "at": entry.at.isoformat() if entry.at else None,
            "title": entry.title,
            "detail": entry.detail,
            "node": entry.node,
            "latencyMs": entry.latency_ms,
        }
        for entry in timeline(detail, show_numbers=show)
    ]
    return _json({"session": session_json(detail.session, show_numbers=show), "timeline": entries})


def campaigns(request: Request) -> Response:
    repo = CampaignStore(of(request).store)
    return _json([repo.status(campaign).to_json() for campaign in repo.all()])


def sessions_csv(request: Request) -> Response:
    """Every session the filters match (paging ignored), one row each, numbers masked; streamed
    a page of the store's listing at a time, so memory stays that of one page whatever the range."""
    dashboard = of(request)
    try:
        filters = SessionFilters.from_query(request.query_params)
        query = filters.query(dashboard.settings.clock(), _zone(request))
    except FilterError as exc:
        return _problem(str(exc))
    pages = dashboard.browser.session_pages(query, chunk=CSV_PAGE)
    return StreamingResponse(
        csv_chunks(pages, show_numbers=dashboard.settings.show_numbers),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": 'attachment; filename="sessions.csv"',
            "cache-control": "no-store",
        },
    )


def csv_chunks(pages: Iterable[list[SessionRecord]], *, show_numbers: bool) -> Iterator[str]:
    """The CSV text of the sessions export: the header, then one chunk per page of sessions
    (a plain generator: Starlette reads each page in its thread pool, off the event loop)."""
    yield csv_text([CSV_COLUMNS])
    for page in pages:
        out = io.StringIO()
        writer = csv_writer(out)
        for record in page:
            writer.writerow(
                [
                    record.session_id,
                    record.started_at.isoformat() if record.started_at else "",
                    record.ended_at.isoformat() if record.ended_at else "",
                    record.status,
                    record.outcome or "",
                    record.flow or "",
                    record.node or "",
                    mask_number(record.customer, show=show_numbers),
                    record.direction or "",
                    " ".join(mask_digits(typed, show=show_numbers) for typed in record.digits),
                    "" if record.duration_seconds is None else f"{record.duration_seconds:g}",
                ]
            )
        yield out.getvalue()
