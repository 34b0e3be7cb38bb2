"""Helpers for the observability tests: small webhook bodies and reading a /metrics page."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

CUSTOMER = "+6512345678"


def call_action(
    event_id: str,
    digits: str | None,
    *,
    session_id: str = "s-1",
    action_id: str | None = None,
) -> dict[str, Any]:
    """A CALL_ACTION as the platform sends it after a menu (digits in eventData.dtmf)."""
    payload: dict[str, Any] = {
        "eventId": event_id,
        "callId": f"call-{session_id}",
        "sessionId": session_id,
        "subAccountId": "acct",
        "callStatus": "ACTION_COMPLETED",
        "callDirection": "OUTBOUND",
        "callType": "PSTN",
        "source": "+6568888888",
        "destination": CUSTOMER,
        "eventData": {"dtmf": digits},
        "timestamp": "2024-05-16T04:12:11.217Z",
    }
    if action_id is not None:
        payload["clientActionId"] = action_id
    return {"namespace": "VOICE", "eventType": "CALL_ACTION", "payload": payload}


def summary(session_id: str = "s-1", status: str = "COMPLETED") -> dict[str, Any]:
    return {
        "namespace": "VOICE",
        "eventType": "SESSION_SUMMARY",
        "payload": {
            "sessionId": session_id,
            "subAccountId": "acct",
            "sessionStatus": status,
            "startTime": "2024-03-25T06:01:30Z",
            "endTime": "2024-03-25T06:01:50Z",
            "lastAction": "HANGUP",
            "callCount": 1,
            "details": {},
        },
    }


def samples(page: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a /metrics page by (name, labels)."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(page: str, name: str, **labels: str) -> float:
    """One sample's value (0 when the page does not have it)."""
    return samples(page).get((name, frozenset(labels.items())), 0.0)


HOOK_TREE = """
name: hooked
entry: main
nodes:
  main:
    menu:
      prompt: Press 1 to check.
      routes: {"1": check}
  check:
    hook: {url: "URL", routes: {ok: done}, default: done, timeout: 2}
  done:
    hangup: {}
"""


def hook_tree_text(url: str) -> str:
    """A tree whose menu's 1 asks the HTTP hook at ``url``, then hangs up."""
    return HOOK_TREE.replace("URL", url)
