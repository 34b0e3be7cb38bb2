"""Times in the zone of the people who run the line: the server's setting, or a viewer's choice
(a form with a CSRF token); ranges without an offset ("today", dates) are read in it too."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from ivrkit.dashboard import DashboardSettings
from ivrkit.store import Store
from tests.dashboard.conftest import Calls, Serve, session_of
from tests.dashboard.test_pages import Elements

SINGAPORE = ZoneInfo("Asia/Singapore")


def started_cells(html: str) -> dict[str, str]:
    page = Elements(html)
    rows = page.by(data_testid="session-row")
    cells = page.by(data_field="started")
    return {row["data-session-id"]: text for (row, _), (_, text) in zip(rows, cells, strict=True)}


def test_the_setting_shows_every_time_in_its_zone(serve: Serve, calls: Calls, store: Store) -> None:
    client = serve(timezone="Asia/Singapore")
    html = client.get("/dashboard/sessions").text
    assert "Started (Asia/Singapore)" in html
    record = session_of(store, calls.resolved)
    assert record.started_at is not None
    local = record.started_at.astimezone(SINGAPORE)
    assert started_cells(html)[calls.resolved] == f"{local:%Y-%m-%d %H:%M:%S}"
    detail = Elements(client.get(f"/dashboard/sessions/{calls.resolved}").text)
    assert detail.text("session-started") == f"{local:%Y-%m-%d %H:%M:%S} (Asia/Singapore)"
    overview = Elements(client.get("/dashboard/").text)
    live = overview.by(data_testid="live-call", data_session_id=calls.resolved)
    assert live and f"{local:%H:%M:%S}" in live[0][1]


def test_today_is_the_zones_day(serve: Serve, calls: Calls) -> None:
    page = Elements(serve(timezone="Asia/Singapore").get("/dashboard/?since=today").text)
    midnight = calls.now.astimezone(SINGAPORE).strftime("%Y-%m-%d 00:00")
    assert page.text("range-note").startswith(f"From {midnight} to ")
    assert "(Asia/Singapore)" in page.text("range-note")


def test_a_viewer_chooses_a_zone_with_the_forms_token(
    serve: Serve, calls: Calls, store: Store
) -> None:
    client = serve()
    html = client.get("/dashboard/sessions").text
    record = session_of(store, calls.resolved)
    assert record.started_at is not None
    assert started_cells(html)[calls.resolved] == f"{record.started_at:%Y-%m-%d %H:%M:%S}"
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None

    refused = client.post(
        "/dashboard/zone", data={"zone": "America/New_York", "next": "/dashboard/sessions"}
    )
    assert refused.status_code == 403
    forged = client.post(
        "/dashboard/zone",
        data={"zone": "America/New_York", "csrf": "x" * 43, "next": "/dashboard/sessions"},
    )
    assert forged.status_code == 403

    chosen = client.post(
        "/dashboard/zone",
        data={"zone": "America/New_York", "csrf": token[1], "next": "/dashboard/sessions"},
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/dashboard/sessions"
    html = client.get("/dashboard/sessions").text
    local = record.started_at.astimezone(ZoneInfo("America/New_York"))
    assert started_cells(html)[calls.resolved] == f"{local:%Y-%m-%d %H:%M:%S}"
    assert local.utcoffset() != timedelta(0)


def test_a_zone_that_is_not_one_is_refused_in_a_line(serve: Serve) -> None:
    client = serve()
    html = client.get("/dashboard/").text
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None
    answer = client.post("/dashboard/zone", data={"zone": "../../etc/passwd", "csrf": token[1]})
    assert answer.status_code == 400
    assert "is not a time zone" in answer.text
    with pytest.raises(ValueError, match="is not a time zone"):
        DashboardSettings(timezone="Mars/Olympus")


def test_a_redirect_after_choosing_stays_on_the_dashboard(serve: Serve) -> None:
    client = serve()
    html = client.get("/dashboard/").text
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None
    answer = client.post(
        "/dashboard/zone", data={"zone": "UTC", "csrf": token[1], "next": "//evil.example/"}
    )
    assert answer.headers["location"] == "/dashboard/"
