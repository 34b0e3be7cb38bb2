"""The time ranges `ivrkit report` reads from its flags: relative ("7d") or ISO 8601, counted
back from ``--until`` so a report of a fixed moment is the same report tomorrow."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ivrkit.errors import ConfigError, IvrkitError

if TYPE_CHECKING:
    from ivrkit.analytics import Window

_RELATIVE = re.compile(r"^(\d+[A-Za-z]+|today)$")
RELATIVE_HINT = "7d, 24h, 30m, today, or an ISO 8601 date or time such as 2026-03-02T09:00Z"


def moment(text: str, option: str) -> datetime:
    """An ISO 8601 date (midnight UTC) or date and time (UTC when it has no offset)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a time: give {RELATIVE_HINT}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def start(text: str, option: str, *, until: datetime) -> datetime:
    """Where a range begins: ``text`` back from ``until`` ("7d") or an absolute time."""
    from ivrkit.analytics import Window

    if _RELATIVE.match(text):
        try:
            return Window.last(text, now=until).since
        except (ValueError, IvrkitError):
            raise ConfigError(f"{option} {text!r} is not a time: give {RELATIVE_HINT}") from None
    return moment(text, option)


def window(since: str, until: datetime, option: str = "--since") -> Window:
    """The range [since, until); a range that ends before it begins is refused."""
    return _range(start(since, option, until=until), until, since, option)


def _range(began: datetime, until: datetime, text: str, option: str) -> Window:
    from ivrkit.analytics import Window

    if began >= until:
        raise ConfigError(
            f"{option} {text!r} begins at {began.isoformat()}, not before the range's end "
            f"{until.isoformat()}"
        )
    return Window(since=began, until=until)


def against(text: str, *, until: datetime) -> Window:
    """``--against FROM..TO``: each side back from ``until`` ("14d..7d": from 14 days before it
    to 7 days before it) or absolute."""
    first, sep, last = text.partition("..")
    if not sep or not first or not last:
        raise ConfigError(
            f"--against {text!r} is not a range: give FROM..TO, e.g. 14d..7d or "
            "2026-03-01..2026-03-08"
        )
    began = start(first, "--against", until=until)
    return _range(began, start(last, "--against", until=until), text, "--against")
