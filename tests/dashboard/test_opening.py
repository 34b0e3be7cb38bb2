"""A callback's timeline starts where the customer's call does: the Send Callflow that placed it
and the opening menu it played (as the tree version that placed it has it), with how long the
customer heard it before answering — not at the first CALL_ACTION."""

from __future__ import annotations

import re

from tests.dashboard.conftest import Calls, Serve
from tests.dashboard.test_pages import Elements


def test_a_callbacks_timeline_opens_with_the_menu_the_customer_heard(
    serve: Serve, calls: Calls
) -> None:
    page = Elements(serve().get(f"/dashboard/sessions/{calls.resolved}").text)
    entries = [
        (a["data-kind"], " ".join(t.split())) for a, t in page.by(data_testid="timeline-entry")
    ]
    kinds = [kind for kind, _ in entries]
    assert kinds[0] == "placed"  # before the leg it made, whatever the clocks say
    assert kinds.index("prompt") < kinds.index("webhook")
    assert "Send Callflow: the callback is placed" in entries[0][1]
    assert "•••••5678" in entries[0][1]
    prompt = entries[kinds.index("prompt")][1]
    assert "Dear customer, Thank you for contacting Xyz technical support" in prompt
    heard = re.search(r"heard for (\d+) s before the first answer", prompt)
    assert heard is not None and int(heard[1]) > 0


def test_the_api_gives_the_same_opening(serve: Serve, calls: Calls) -> None:
    body = serve().get(f"/dashboard/api/sessions/{calls.agent}").json()
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds[0] == "placed"
    assert kinds.index("prompt") < kinds.index("webhook")
    assert body["timeline"][kinds.index("prompt")]["title"].startswith("Dear customer")
