"""The time zone the dashboard shows times in: the server's setting (``--timezone``,
IVRKIT_DASHBOARD_TIMEZONE; UTC by default), or the one a viewer chose (a cookie). Every time a
page shows goes through :func:`local`, and ranges typed without an offset are read in the same
zone (:mod:`ivrkit.analytics._ranges`)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from starlette.requests import Request

__all__ = [
    "COOKIE",
    "ZoneError",
    "choices",
    "local",
    "parse_zone",
    "zone_name",
    "zone_of",
]

COOKIE = "ivrkit_tz"
"""The cookie that holds a viewer's chosen zone."""
MAX_NAME = 64


class ZoneError(ValueError):
    """A zone name that is not an IANA time zone."""


@lru_cache(maxsize=64)
def parse_zone(name: str) -> tzinfo:
    """The zone ``name`` names (``Asia/Singapore``, ``UTC``); ZoneError for anything else."""
    text = name.strip()
    if text.upper() == "UTC":
        return UTC
    if not text or len(text) > MAX_NAME or text.startswith(("/", ".")) or ".." in text:
        raise ZoneError(f"{name[:MAX_NAME]!r} is not a time zone: give one such as Asia/Singapore")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ZoneError(
            f"{name[:MAX_NAME]!r} is not a time zone: give one such as Asia/Singapore"
        ) from None


def zone_name(zone: tzinfo) -> str:
    return "UTC" if zone is UTC else str(getattr(zone, "key", zone))


def zone_of(request: Request, default: str) -> tzinfo:
    """The zone to show ``request`` its times in: the viewer's choice, else ``default``."""
    chosen = request.cookies.get(COOKIE)
    if chosen:
        try:
            return parse_zone(chosen)
        except ZoneError:
            pass
    return parse_zone(default)


def local(moment: datetime | None, zone: tzinfo, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    """``moment`` in ``zone`` (an empty string for None); a naive one is taken as UTC, as the
    store keeps times."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime(pattern)


@lru_cache(maxsize=1)
def choices() -> tuple[str, ...]:
    """The zones a viewer may choose, UTC first."""
    return ("UTC", *sorted(name for name in available_timezones() if "/" in name))
