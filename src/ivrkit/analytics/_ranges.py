"""Time ranges as people type them, read one way by `ivrkit report`, `ivrkit replay` and the
dashboard: the same texts are accepted everywhere and mean the same window.

- a span back from a reference: ``30m``, ``24h``, ``7d``, ``2w``;
- ``today`` (midnight of the reference's day; as an end, the next midnight) and ``now``;
- an ISO 8601 date (``2026-03-02``: its midnight; as an end, its whole day is included) or date
  and time (``2026-03-02T09:00``, unless it has an offset).

Days and times without an offset are read in a zone: UTC unless the caller gives one (the
dashboard's display zone), so "today" is the viewer's day.

A range is half-open, ``[since, until)``. Its end counts back from now; its start counts back from
its end, so a report of a fixed end is the same report tomorrow. A moment outside the years 1 to
9999 is refused, one after the start of 9999 is read as that start (the counters' buckets of a
later range would end past the calendar), and what is shown of a range is at most
:data:`MAX_SPAN` long (:func:`limited` says when it cut one).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo

from ivrkit.analytics._model import Window
from ivrkit.errors import AnalyticsError

__all__ = [
    "DEFAULT_SINCE",
    "HINT",
    "MAX_SPAN",
    "RangeError",
    "between",
    "bounds",
    "limited",
    "moment",
    "span",
    "start_of_day",
    "window",
]

DEFAULT_SINCE = "7d"
"""The start of a range that gives none: a week back from its end."""
HINT = "30m, 24h, 7d, 2w, today, now, or an ISO 8601 date or time such as 2026-03-02T09:00Z"

_SPAN = re.compile(r"^(?P<count>\d{1,6})(?P<unit>[mhdw])$")
_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_DAY = timedelta(days=1)
MAX_SPAN = timedelta(days=3660)
"""The longest range shown (ten years): a chart has a point per day, and a range back to year 1
would be 740,000 of them."""
_LAST = datetime(9999, 1, 1, tzinfo=UTC)


class RangeError(AnalyticsError):
    """A time or range that cannot be read; the message quotes the text and says what to write."""


def start_of_day(moment: datetime, zone: tzinfo = UTC) -> datetime:
    """Midnight of ``moment``'s day in ``zone`` (as a UTC time)."""
    local = moment.astimezone(zone)
    return _midnight(local.date(), zone)


def _midnight(day: date, zone: tzinfo) -> datetime:
    """The first moment of ``day`` in ``zone``, in UTC (a zone's midnight may be skipped by a
    daylight-saving change: then the first moment after it)."""
    local = datetime(day.year, day.month, day.day, tzinfo=zone)
    return local.astimezone(UTC)


def _next_midnight(moment: datetime, zone: tzinfo) -> datetime:
    local = moment.astimezone(zone)
    if local.date() == date.max:
        return _LAST
    return _midnight(local.date() + _DAY, zone)


def span(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w`` as a duration."""
    found = _SPAN.match(text.strip().lower())
    if found is None:
        raise RangeError(f"{text!r} is not a span of time: write 30m, 24h, 7d or 2w")
    return int(found["count"]) * _UNITS[found["unit"]]


def moment(text: str, *, now: datetime, end: bool = False, zone: tzinfo = UTC) -> datetime:
    """The time ``text`` names, spans counting back from ``now``; ``end``: the text ends a range,
    so a date (or ``today``) includes its whole day. Days and times without an offset are read
    in ``zone``."""
    text = text.strip()
    now = now.astimezone(UTC)
    word = text.lower()
    if word == "now":
        return now
    try:
        return min(_LAST, _moment(text, word, now=now, end=end, zone=zone))
    except OverflowError:
        raise RangeError(
            f"{text!r} reaches outside the years 1 to 9999 (from {now:%Y-%m-%d}): give a time "
            "inside them"
        ) from None
    except ValueError:
        raise RangeError(f"{text!r} is not a time: give {HINT}") from None


def _moment(text: str, word: str, *, now: datetime, end: bool, zone: tzinfo) -> datetime:
    if word == "today":
        midnight = start_of_day(now, zone)
        return _next_midnight(midnight, zone) if end else midnight
    if _SPAN.match(word):
        return now - span(word)
    if len(text) == 10:
        midnight = _midnight(date.fromisoformat(text), zone)
        return _next_midnight(midnight, zone) if end else midnight
    parsed = datetime.fromisoformat(text)
    return (parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed).astimezone(UTC)


def bounds(
    since: str | None, until: str | None, *, now: datetime, zone: tzinfo = UTC
) -> tuple[datetime | None, datetime | None]:
    """Either side of a range, None where no text is given (an open side): the end from ``now``,
    the start back from the end (from ``now`` when the end is open)."""
    stop = moment(until, now=now, end=True, zone=zone) if until else None
    start = moment(since, now=stop or now, zone=zone) if since else None
    if start is not None and stop is not None and start >= stop:
        raise RangeError(
            f"{since!r} begins at {start.isoformat()}, not before the range's end "
            f"{stop.isoformat()}"
        )
    return start, stop


def window(since: str | None, until: str | None, *, now: datetime, zone: tzinfo = UTC) -> Window:
    """The range ``[since, until)``: the end defaults to ``now``, the start to
    :data:`DEFAULT_SINCE` back from the end; days and times without an offset in ``zone``."""
    start, stop = bounds(since or DEFAULT_SINCE, until or "now", now=now, zone=zone)
    assert start is not None and stop is not None
    return Window(since=start, until=stop)


def limited(found: Window, zone: tzinfo = UTC) -> tuple[Window, str | None]:
    """``found`` cut to its last :data:`MAX_SPAN`, and a sentence saying so when it was cut
    (its times in ``zone``)."""
    if found.until - found.since <= MAX_SPAN:
        return found, None
    since = found.until - MAX_SPAN
    note = (
        f"a range is at most {MAX_SPAN.days:,} days: showing {since.astimezone(zone):%Y-%m-%d} "
        f"to {found.until.astimezone(zone):%Y-%m-%d %H:%M} {found.until.astimezone(zone):%Z}"
    )
    return Window(since=since, until=found.until), note


def between(text: str, *, now: datetime) -> Window:
    """``FROM..TO`` (``14d..7d``, ``2026-02-01..2026-02-07``): both sides as :func:`window` reads
    them, each span counting back from ``now``."""
    first, sep, last = text.partition("..")
    if not sep or not first.strip() or not last.strip():
        raise RangeError(
            f"{text!r} is not a range: give FROM..TO, e.g. 14d..7d or 2026-03-01..2026-03-07"
        )
    stop = moment(last, now=now, end=True)
    start = moment(first, now=now)
    if start >= stop:
        raise RangeError(
            f"{text!r} begins at {start.isoformat()}, not before the range's end {stop.isoformat()}"
        )
    return Window(since=start, until=stop)
