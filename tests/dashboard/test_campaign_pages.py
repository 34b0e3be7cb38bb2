"""Campaign pages a person can open: each campaign's progress, settings and the contacts still to
call (when, and why they wait), and pause, resume, cancel behind a confirmation and a CSRF
token; cancelled contacts are counted as cancelled, never as done."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ivrkit.campaigns import CampaignSettings, CampaignStore, parse_contacts
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import Store, open_store
from tests.asgi import InProcessServer
from tests.dashboard.test_pages import Elements

# Monday 22:00 in Singapore, 09:00 in New York: the Singapore contacts wait for the morning.
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
NAME = "autumn"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'campaigns.db'}") as opened:
        settings = CampaignSettings.model_validate(
            {"rate": 2, "max_concurrent": 3, "attempts": 2, "retry_after": 3600}
        )
        contacts = parse_contacts(
            "number,name,timezone\n"
            "+6591000001,Ann,\n"
            "+6591000002,Bob,\n"
            "+12125550199,Cy,America/New_York\n"
            "+6591000003,Dee,\n",
            do_not_call=("+6591000003",),
        )
        CampaignStore(opened).create(NAME, settings, contacts, NOW)
        yield opened


@pytest.fixture
def client(store: Store) -> Iterator[httpx.Client]:
    settings = DashboardSettings(clock=lambda: NOW, timezone="Asia/Singapore")
    server = InProcessServer(standalone_app(store, settings)).start()
    with server.client(timeout=10.0) as opened:
        yield opened
    server.stop()


def token_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found[1]


def test_the_list_links_each_campaign_and_shows_its_progress(client: httpx.Client) -> None:
    page = Elements(client.get("/dashboard/campaigns").text)
    [(link, text)] = page.by(data_testid="campaign-link")
    assert text == NAME and link["href"] == f"/dashboard/campaigns/{NAME}"
    cells = {a["data-field"]: t for _, a, t in _cells(page)}
    assert (cells["contacts"], cells["skipped"], cells["pending"]) == ("4", "1", "3")
    assert cells["progress"].endswith("25.0%")


def test_a_campaign_page_shows_settings_and_who_waits_for_what(client: httpx.Client) -> None:
    page = Elements(client.get(f"/dashboard/campaigns/{NAME}").text)
    assert page.text("campaign-state") == "active"
    settings = page.text("campaign-settings")
    assert "09:00-20:00" in settings and "at most 120 calls a minute, 3 at once" in settings
    assert "up to 2 per contact, 1 h apart" in settings
    assert page.text("campaign-zones") == "America/New_York, Asia/Singapore"
    assert page.text("campaign-next-due") == "due now"  # New York's window is open
    waiting = {attrs["data-line"]: text for attrs, text in page.by(data_testid="pending-contact")}
    assert len(waiting) == 3
    new_york = next(text for text in waiting.values() if "0199" in text)
    assert "due now" in new_york and "first call" in new_york
    assert "window" not in new_york
    singapore = next(text for text in waiting.values() if "0001" in text)
    # Waits for 09:00 in Singapore, shown in the dashboard's zone (Singapore).
    assert "2026-03-03 09:00" in singapore and "waits for its calling window" in singapore
    assert "+6591000001" not in page.text("pending-contacts")  # numbers masked


def test_pause_resume_cancel_ask_first_and_need_the_token(
    client: httpx.Client, store: Store
) -> None:
    confirm = client.get(f"/dashboard/campaigns/{NAME}/pause")
    assert "No new calls are placed" in Elements(confirm.text).text("confirm-effect")
    assert CampaignStore(store).get(NAME).state == "active"  # asking changed nothing
    url = f"/dashboard/campaigns/{NAME}/pause"
    assert client.post(url, data={"confirm": "yes"}).status_code == 403
    assert client.post(url, data={"confirm": "yes", "csrf": "y" * 43}).status_code == 403
    token = token_of(confirm.text)
    assert client.post(url, data={"csrf": token}).status_code == 400  # not confirmed
    assert CampaignStore(store).get(NAME).state == "active"

    paused = client.post(url, data={"confirm": "yes", "csrf": token})
    assert paused.status_code == 303
    assert CampaignStore(store).get(NAME).state == "paused"
    page = Elements(client.get(paused.headers["location"]).text)
    assert page.text("campaign-state") == "paused"
    assert page.by(data_testid="campaign-resume") and not page.by(data_testid="campaign-pause")

    again = client.post(url, data={"confirm": "yes", "csrf": token})
    assert again.status_code == 409 and "cannot become paused" in again.text

    resume = f"/dashboard/campaigns/{NAME}/resume"
    assert client.post(resume, data={"confirm": "yes", "csrf": token}).status_code == 303
    assert CampaignStore(store).get(NAME).state == "active"

    changes = Elements(client.get(f"/dashboard/campaigns/{NAME}").text)
    done = [text for _, text in changes.by(data_testid="campaign-change")]
    assert any("paused · by dashboard" in text for text in done), done
    assert any("resumed · by dashboard" in text for text in done), done

    cancel = f"/dashboard/campaigns/{NAME}/cancel"
    assert "cannot be undone" in client.get(cancel).text
    assert client.post(cancel, data={"confirm": "yes", "csrf": token}).status_code == 303
    page = Elements(client.get(f"/dashboard/campaigns/{NAME}").text)
    assert page.text("campaign-state") == "cancelled"
    assert (page.text("count-cancelled"), page.text("count-called")) == ("3", "0")
    assert page.by(data_testid="nothing-pending")
    cells = {
        a["data-field"]: t for _, a, t in _cells(Elements(client.get("/dashboard/campaigns").text))
    }
    assert (cells["cancelled"], cells["called"], cells["pending"]) == ("3", "0", "0")


def test_a_missing_campaign_or_action_is_404(client: httpx.Client) -> None:
    assert client.get("/dashboard/campaigns/nope").status_code == 404
    assert client.get(f"/dashboard/campaigns/{NAME}/explode").status_code == 404


def _cells(page: Elements) -> list[tuple[str, dict[str, str], str]]:
    return [
        (tag, attrs, "".join(text).strip())
        for tag, attrs, text in page.found
        if tag == "td" and "data-field" in attrs
    ]


def test_a_retry_says_what_the_last_call_ended_with(store: Store) -> None:
    from datetime import timedelta

    from ivrkit.campaigns._catalog import due_times
    from ivrkit.dashboard._campaigns import _pending

    due = due_times(CampaignStore(store).get(NAME))
    row = {
        "line": 2,
        "number": "+6591000001",
        "state": "pending",
        "attempts": 1,
        "due_at": NOW + timedelta(minutes=5),
        "note": None,
        "timezones": "America/New_York",  # 09:05 there: open
    }
    window = "09:00-20:00 mon-sun"
    waiting = _pending(row, {"outcome": None, "status": "BUSY"}, due, window, NOW)
    assert waiting.reason == "retry after busy"
    assert waiting.next_at == NOW + timedelta(minutes=5)
    closed = _pending(
        {**row, "timezones": "Asia/Singapore"}, {"outcome": "no-answer"}, due, window, NOW
    )
    assert closed.reason.startswith("retry after no-answer; waits for its calling window")
    assert closed.next_at == datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 on Tuesday there
