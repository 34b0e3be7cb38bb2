"""Branch conditions: open hours in a time zone, open by a named calendar, and tests on session
variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from ivrkit.calendars import Calendar, Switch
from ivrkit.trees._model import Condition, Hours, expand_days


def is_open(hours: Hours, moment: datetime) -> bool:
    """Whether ``moment`` falls in ``hours`` (local time of its zone; close may be 24:00)."""
    local = moment.astimezone(ZoneInfo(hours.timezone))
    if local.weekday() not in expand_days(hours.days):
        return False
    opening = _clock(hours.open) or time(0, 0)
    closing = _clock(hours.close)
    now = local.time().replace(tzinfo=None)
    if closing is None:
        return now >= opening
    if opening <= closing:
        return opening <= now < closing
    return now >= opening or now < closing  # overnight, e.g. 22:00-06:00


def _clock(text: str) -> time | None:
    """A wall-clock time; None for "24:00" (the end of the day)."""
    if text == "24:00":
        return None
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def holds(
    condition: Condition,
    variables: dict[str, str],
    moment: datetime | None = None,
    *,
    calendars: Mapping[str, Calendar] | None = None,
    switches: Mapping[str, Switch] | None = None,
) -> bool:
    """Whether ``condition`` holds; a calendar condition looks its calendar up in ``calendars``
    (a name it does not find is a KeyError: the tree's checks refuse such a tree) and obeys the
    emergency ``switches`` that are on."""
    if condition.hours is not None:
        return is_open(condition.hours, moment or datetime.now(UTC))
    if condition.calendar is not None:
        calendar = (calendars or {})[condition.calendar]
        return calendar.is_open(moment or datetime.now(UTC), switches)
    assert condition.var is not None
    value = variables.get(condition.var)
    if condition.is_set is not None:
        return (value is not None and value != "") is condition.is_set
    if value is None:
        return False
    if condition.equals is not None:
        return value == condition.equals
    if condition.one_of is not None:
        return value in condition.one_of
    assert condition.matches is not None
    return re.fullmatch(condition.matches, value) is not None
