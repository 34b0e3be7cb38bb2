"""The tree that tests of calendars share: a line open in a calendar's hours and closed outside
them (``calendars: [support.yaml]``, a branch on ``support``), and that calendar's file."""

from __future__ import annotations

import json


def open_or_closed(
    *,
    name: str = "line",
    opened: str = "Welcome.",
    closed: str = "Closed.",
    extra: str = "",
) -> str:
    """The tree's YAML: ``hours`` branches to ``welcome`` (saying ``opened``) inside the
    calendar's hours and to ``closed`` (saying ``closed``) outside them; ``extra`` is more
    top-level YAML (numbers, virtual numbers)."""
    return (
        f"name: {name}\n{extra}calendars: [support.yaml]\nentry: hours\nnodes:\n"
        "  hours:\n    branch:\n      cases:\n"
        "        - {if: {calendar: support}, to: welcome}\n      else: closed\n"
        f"  welcome:\n    hangup: {{say: {json.dumps(opened)}}}\n"
        f"  closed:\n    hangup: {{say: {json.dumps(closed)}}}\n"
    )


def support_calendar(
    timezone: str = "UTC", hours: str = 'mon-fri: "09:00-17:00"', extra: str = ""
) -> str:
    """The ``support`` calendar's YAML: ``hours`` in ``timezone``, and ``extra`` lines."""
    return f"name: support\ntimezone: {timezone}\nhours: {{{hours}}}\n{extra}"
