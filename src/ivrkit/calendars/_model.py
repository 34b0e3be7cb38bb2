"""What a calendar file may say, as typed models: a zone, weekly hours, holidays, dated
overrides and iCalendar imports.

```yaml
name: support
timezone: Europe/London
years: 2026-2027                  # optional: the years the holidays are written for
hours:                            # weekly, in the calendar's zone
  mon-fri: "09:00-17:00"
  sat: "10:00-12:00, 13:00-15:00"
holidays:                         # closed all day
  - 2026-12-25
  - {date: 2026-12-26, name: Boxing Day}
overrides:                        # these hours on this date, whatever the week says
  2026-12-24: "09:00-13:00"
  2026-12-31: closed
ical: [bank-holidays.ics]         # all-day events become holidays
```
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ivrkit.calendars._days import expand_days

CALENDAR_NAME = r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$"
CLOSED = "closed"
_TIME = r"([01]\d|2[0-3]):[0-5]\d|24:00"
_RANGE = re.compile(rf"^(?P<start>{_TIME})\s*-\s*(?P<end>{_TIME})$")
_YEARS = re.compile(r"^(?P<first>\d{4})(?:\s*-\s*(?P<last>\d{4}))?$")


class Span(NamedTuple):
    """Open from ``start`` up to (not including) ``end``, in minutes after local midnight."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_spans(text: str) -> tuple[Span, ...]:
    """``"09:00-12:00, 13:00-17:00"`` → spans; ``"closed"`` → none. A span ends after it
    starts on the same day (``24:00`` is the end of the day); a night is two spans on two days."""
    text = text.strip()
    if text.lower() == CLOSED:
        return ()
    spans: list[Span] = []
    for part in text.split(","):
        match = _RANGE.match(part.strip())
        if match is None:
            raise ValueError(f"{part.strip()!r} is not a time range like 09:00-17:00 (or 'closed')")
        start, end = _minutes(match["start"]), _minutes(match["end"])
        if end <= start:
            raise ValueError(
                f"{part.strip()!r} ends before it starts; a range over midnight is written as "
                "two ranges on two days (22:00-24:00 and 00:00-06:00)"
            )
        spans.append(Span(start, end))
    return tuple(sorted(spans))


def _minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def _checked_spans(text: str) -> str:
    parse_spans(text)
    return text


Ranges = Annotated[str, AfterValidator(_checked_spans)]
"""Time ranges (``09:00-12:00, 13:00-17:00``) or ``closed``."""


def known_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {zone!r} (use an IANA name: Europe/London)") from exc
    return zone


class CalendarModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holiday(CalendarModel):
    """A day closed all day, with an optional name said by ``ivrkit calendar check``."""

    date: date
    name: str | None = None


class CalendarSpec(CalendarModel):
    """A whole calendar file."""

    name: str = Field(pattern=CALENDAR_NAME)
    timezone: str
    years: str | int | None = Field(
        default=None, description="The years the holidays are written for: 2026 or 2026-2027."
    )
    hours: dict[str, Ranges] = Field(
        default_factory=dict, description="Days (mon-fri, sat, sun) → time ranges or closed."
    )
    holidays: list[Holiday] = Field(default_factory=list)
    overrides: dict[date, Ranges] = Field(
        default_factory=dict, description="Date → time ranges or closed, before holidays."
    )
    ical: list[str] = Field(
        default_factory=list, description="iCalendar files (relative to this file)."
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        return known_zone(zone)

    @field_validator("holidays", mode="before")
    @classmethod
    def _bare_dates(cls, holidays: object) -> object:
        if isinstance(holidays, list):
            return [{"date": item} if isinstance(item, date | str) else item for item in holidays]
        return holidays

    @field_validator("hours")
    @classmethod
    def _days(cls, hours: dict[str, str]) -> dict[str, str]:
        for days in hours:
            expand_days(days)
        return hours

    @model_validator(mode="after")
    def _year_range(self) -> CalendarSpec:
        self.year_range()
        return self

    def year_range(self) -> tuple[int, int] | None:
        """(first, last) year the calendar is written for; None when it does not say."""
        if self.years is None:
            return None
        match = _YEARS.match(str(self.years).strip())
        if match is None:
            raise ValueError(f"years {self.years!r} is not a year or a range like 2026-2027")
        first = int(match["first"])
        last = int(match["last"] or first)
        if last < first:
            raise ValueError(f"years {self.years!r} ends before it starts")
        return first, last
