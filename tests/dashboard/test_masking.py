"""Phone numbers show only their last four digits unless the server runs with --show-numbers: in
pages, JSON and CSV exports alike."""

from __future__ import annotations

import csv
import io

from tests.dashboard.conftest import AGENT, CUSTOMER, Calls, Serve

WHOLE = [CUSTOMER, CUSTOMER.lstrip("+"), AGENT.lstrip("+")]


def test_masked_by_default_in_pages_json_and_csv(serve: Serve, calls: Calls) -> None:
    client = serve()
    pages = [
        client.get("/dashboard/sessions").text,
        client.get("/dashboard/").text,
        client.get(f"/dashboard/sessions/{calls.agent}").text,
        client.get("/dashboard/api/sessions").text,
        client.get(f"/dashboard/api/sessions/{calls.agent}").text,
    ]
    exported = client.get("/dashboard/sessions.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    for text in [*pages, exported.text]:
        assert "•••••5678" in text or "•••••5432" in text
        for number in WHOLE:
            assert number not in text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {row["customer"] for row in rows} >= {"•••••5678", "•••••5432"}
    assert len(rows) == len(calls.all)


def test_show_numbers_shows_them_whole_everywhere(serve: Serve, calls: Calls) -> None:
    client = serve(show_numbers=True)
    assert CUSTOMER in client.get("/dashboard/sessions").text
    body = client.get("/dashboard/api/sessions").json()
    assert CUSTOMER in {row["customer"] for row in body["sessions"]}
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/sessions.csv").text)))
    assert CUSTOMER in {row["customer"] for row in rows}
    assert AGENT.lstrip("+") in client.get(f"/dashboard/sessions/{calls.agent}").text


def test_the_csv_export_follows_the_filters(serve: Serve, calls: Calls) -> None:
    client = serve()
    text = client.get("/dashboard/sessions.csv", params={"outcome": "agent"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["session_id"] for row in rows} == {calls.agent, calls.campaign[1]}
