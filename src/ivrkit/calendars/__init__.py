"""Routing calendars: named weekly hours, holidays and dated overrides in a time zone, shared
between trees, with iCalendar imports and an emergency "closed now" switch."""

from __future__ import annotations

from ivrkit.calendars._calendar import Calendar, CalendarStatus, local_moment
from ivrkit.calendars._load import load_calendar, load_calendars, parse_calendar
from ivrkit.calendars._model import CalendarSpec
from ivrkit.calendars._switches import ALL_CALENDARS, Switch

__all__ = [
    "ALL_CALENDARS",
    "Calendar",
    "CalendarSpec",
    "Switch",
    "CalendarStatus",
    "load_calendar",
    "load_calendars",
    "local_moment",
    "parse_calendar",
]
