"""The trees that tests of calendars share (a line open in a calendar's hours and closed outside
them, with or without a menu inside them) and the ``support`` calendar's file."""

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


def menu_in_hours(
    *, calendars: str = "support.yaml", branch: str = "open", greet: bool = False
) -> str:
    """A tree whose node ``branch`` leads to a one-key menu inside the ``support`` calendar's
    hours and to ``closed`` outside them (the menu's key 1 and a wrong key close too); with
    ``greet``, a ``greet`` node says hello first. ``calendars``: the calendars entry."""
    start = (
        f"entry: greet\nnodes:\n  greet:\n    say: {{text: Hello., next: {branch}}}\n"
        if greet
        else f"entry: {branch}\nnodes:\n"
    )
    return (
        f"name: t\ncalendars: [{calendars}]\n{start}"
        f"  {branch}:\n    branch:\n      cases:\n"
        "        - {if: {calendar: support}, to: menu}\n      else: closed\n"
        "  menu:\n    menu:\n      prompt: Press 1 to leave.\n      capture: {max_digits: 1}\n"
        '      routes: {"1": closed}\n      on_invalid: closed\n'
        "  closed:\n    hangup: {say: We are closed.}\n"
    )
