"""What the platform does to a backend, done for real: a delivery repeated after a lost answer,
and deliveries with the wrong secret."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivrkit._serving import BackgroundServer
from ivrkit.simulator._calls.transcript import WebhookSent
from ivrkit.testing import IvrHarness

CUSTOMER = "+6512345678"
pytestmark = pytest.mark.e2e


def lossy_proxy(target: str) -> Starlette:
    """Forwards every delivery to ``target`` but loses the first answer of each eventId (503),
    as a load balancer timing out would, so the platform delivers the same event again."""
    seen: set[str] = set()

    async def forward(request: Request) -> Response:
        body = await request.body()
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                target + request.url.path,
                content=body,
                headers={
                    "authorization": request.headers.get("authorization", ""),
                    "content-type": "application/json",
                },
            )
        event_id = json.loads(body).get("payload", {}).get("eventId")
        if event_id and event_id not in seen:
            seen.add(event_id)
            return Response("upstream timed out", status_code=503)
        return Response(answer.content, answer.status_code, media_type="application/json")

    return Starlette(routes=[Route("/webhooks/{kind}", forward, methods=["POST"])])


def test_a_repeated_delivery_gets_the_same_answer_and_is_recorded_once() -> None:
    with IvrHarness() as ivr, BackgroundServer(lossy_proxy(ivr.backend_url)) as proxy:
        assert ivr.client is not None
        ivr.client.create_webhook(
            "VCA", f"{proxy.url}/webhooks/vca", http_auth_header="testing-webhook-secret"
        )
        call = ivr.call(CUSTOMER, press=["9", "1"])
        call.expect_summary(status="COMPLETED", last_action="HANGUP")
        view = ivr.control.session(call.session_id)
        attempts = [e for e in view.entries if isinstance(e, WebhookSent) and e.type == "VCA"]
        assert [a.attempt for a in attempts] == [1, 2, 1, 2]
        assert attempts[0].event_id == attempts[1].event_id
        vca = [d for d in ivr.store.deliveries(call.session_id) if d.channel == "vca"]
        assert len(vca) == 2, "each event is recorded once"
        assert call.record is not None and call.record.digits == ["9", "1"]


def test_deliveries_with_the_wrong_secret_are_refused_and_nothing_is_acted_on() -> None:
    with IvrHarness() as ivr:
        assert ivr.client is not None
        ivr.client.create_webhook(
            "VCA", f"{ivr.backend_url}/webhooks/vca", http_auth_header="not-the-secret"
        )
        call = ivr.call(CUSTOMER, press=["2"])
        summary = call.expect_summary(status="ERROR")
        assert summary.error_details is not None and summary.error_details.code == -2002
        # Unauthenticated bodies are kept for debugging but not read, so they carry no session.
        refused = [d for d in ivr.store.deliveries() if d.channel == "vca"]
        assert len(refused) == 3, "the platform's three attempts are all kept"
        assert {(d.outcome, d.http_status, d.session_id) for d in refused} == {
            ("unauthorized", 401, None)
        }
        assert call.session_id in refused[0].body
        assert call.record is not None and call.record.digits == []
        assert call.record.status == "ERROR"
