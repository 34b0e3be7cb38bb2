"""Log exports (Reporting API): start a job, poll it, fetch its CSV, cancel it; the vendor's
404 body for an unknown job; bad ranges refused in the export error shape."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ivrkit.simulator import ManualTimeline, SimulatorConfig
from ivrkit.simulator._calls.log_exports import COLUMNS
from tests.conftest import load_fixture
from tests.simulator.conftest import SUB, World


def _message() -> dict[str, Any]:
    request = load_fixture("request_vm_tts_template.json")
    request.pop("validUntil", None)
    return request


def _csv(client: httpx.Client, link: str) -> list[dict[str, str]]:
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_a_job_exports_the_calls_of_the_range_as_csv(world: World) -> None:
    first = world.call(_message())
    second = world.call(load_fixture("request_simple_ivr_initial.json"))
    started = world.api.post("/messages/exports", json={})
    assert started.status_code == 202
    job_id = started.json()["jobId"]
    assert list(started.json()) == ["jobId"]
    result = world.api.get(f"/messages/exports/{job_id}")
    assert result.status_code == 200
    body = result.json()
    assert body["status"] == "succeeded"
    expires = datetime.fromisoformat(body["expires"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    [link] = body["data"]
    assert link.startswith(f"{world.url}/api/v1/subaccounts/{SUB}/messages/download/")
    rows = _csv(world.api, link)
    assert [row["SessionId"] for row in rows] == [first.session_id, second.session_id]
    row = rows[0]
    assert row["SubAccountId"] == SUB and row["Direction"] == "OUTBOUND"
    assert (row["SourceCountryCode"], row["SourceCountry"]) == ("65", "Singapore")
    assert row["DestinationEndpoint"] == "+6512345678"
    assert (row["SessionStatus"], row["CallStatus"], row["SipStatus"]) == (
        "COMPLETED",
        "COMPLETED",
        "200",
    )
    summary = world.summary(first.session_id)["payload"]["details"]["callA"]
    assert row["CallId"] == summary["callId"]
    assert row["DurationInSec"] == str(summary["callDuration"])
    assert int(row["BillableDurationInSec"]) % 60 == 0
    assert int(row["BillableDurationInSec"]) >= int(row["DurationInSec"])
    assert int(row["TTSLength"]) > 0 and row["MOS"] == "4.5"


def test_limit_range_and_empty_jobs(world: World) -> None:
    views = [world.call(_message()) for _ in range(3)]
    limited = world.api.post("/messages/exports", json={"limit": 2}).json()["jobId"]
    link = world.api.get(f"/messages/exports/{limited}").json()["data"][0]
    assert len(_csv(world.api, link)) == 2
    unlimited = world.api.post("/messages/exports", json={"limit": 0}).json()["jobId"]
    assert (
        len(_csv(world.api, world.api.get(f"/messages/exports/{unlimited}").json()["data"][0])) == 3
    )
    long_ago = {"from": "2020-07-01", "to": "2020-07-02T13:00:00+07:00"}
    empty = world.api.post("/messages/exports", json=long_ago).json()["jobId"]
    assert world.api.get(f"/messages/exports/{empty}").json() == {"status": "empty"}
    day = views[0].started_at[:10]  # a bare date as `to` takes in the whole day
    today = {"from": day, "to": day}
    whole_day = world.api.post("/messages/exports", json=today).json()["jobId"]
    assert world.api.get(f"/messages/exports/{whole_day}").json()["status"] == "succeeded"


def test_cancel_and_unknown_jobs(world: World) -> None:
    world.call(_message())
    job_id = world.api.post("/messages/exports").json()["jobId"]
    link = world.api.get(f"/messages/exports/{job_id}").json()["data"][0]
    cancelled = world.api.delete(f"/messages/exports/{job_id}")
    assert cancelled.status_code == 204 and cancelled.content == b""
    assert world.api.get(f"/messages/exports/{job_id}").json() == {"status": "cancelled"}
    assert world.api.get(link).status_code == 404
    vendor = load_fixture("oas_log_export_404_invalid_jobid.json")
    for method in ("GET", "DELETE"):
        missing = world.api.request(method, "/messages/exports/no-such-job")
        assert missing.status_code == 404
        body = missing.json()
        assert (body["code"], body["message"]) == (vendor["code"], vendor["message"])
        assert set(body) == set(vendor) and body["errorId"] and body["timestamp"]


@pytest.mark.parametrize(
    "content",
    [
        b'{"from": "yesterday"}',
        b'{"from": "2020-13-45"}',
        b'{"from": "2020-07-02", "to": "2020-07-01"}',
        b'{"limit": -1}',
        b'{"limit": 1e400}',
        b'{"limit": NaN}',
        b'{"limit": "5"}',
        b'{"limit": 5.0}',
        b'{"from": null}',
        b'{"from": "", "to": ""}',
        b"[" * 50_000,
    ],
)
def test_start_refusals_use_the_export_error_shape(world: World, content: bytes) -> None:
    response = world.api.post("/messages/exports", content=content)
    assert response.status_code == 400, response.text[:200]
    body = response.json()
    assert body["code"] == 4000 and body["message"] and body["errorId"]


def test_fields_the_platform_does_not_read_are_ignored(world: World) -> None:
    assert world.api.post("/messages/exports", json={"colour": "red"}).status_code == 202
    webhook = {"type": "VCA", "url": "https://e.com/vca", "colour": "red"}
    assert world.api.post("/webhooks", json=webhook).status_code == 200


def test_a_job_runs_for_the_configured_time(serve_sim: Any) -> None:
    clock = ManualTimeline()
    url = serve_sim(SimulatorConfig(clock=clock, log_export_seconds=60))
    with httpx.Client(base_url=f"{url}/api/v1/subaccounts/{SUB}", timeout=10) as api:
        job_id = api.post("/messages/exports").json()["jobId"]
        assert api.get(f"/messages/exports/{job_id}").json() == {"status": "running"}
        api.post(f"{url}/sim/v1/clock/advance", json={"seconds": 60})
        assert api.get(f"/messages/exports/{job_id}").json() == {"status": "empty"}


def test_export_refusals_of_auth_and_subaccount_use_the_export_shape(serve_sim: Any) -> None:
    url = serve_sim(SimulatorConfig(api_key="k3y", subaccount=SUB))
    with httpx.Client(base_url=url, timeout=10) as client:
        refused = client.post(f"/api/v1/subaccounts/{SUB}/messages/exports")
        assert refused.status_code == 401 and refused.json()["code"] == 401
        other = client.get(
            "/api/v1/subaccounts/someone_else/messages/exports/x",
            headers={"Authorization": "Bearer k3y"},
        )
        assert other.status_code == 404 and other.json()["code"] == 404
        assert "SubAccount not found" in other.json()["message"]
