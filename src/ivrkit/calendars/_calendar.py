"""A loaded calendar, and its answer to "open at this moment?" with the rule that decided.

Precedence, first that applies wins: the emergency switch (``ivrkit closed on``) > a dated
override > a holiday > the weekly hours.

Every rule is wall-clock time in the calendar's zone: a moment is open when the local clock then
shows a time inside a range (start included, end excluded). On a daylight-saving change day this
means: a range that starts inside the skipped hour opens when the clock jumps past it (London,
29 March 2026: ``01:30-05:00`` opens at 02:00 BST); the repeated hour is inside a range both times
the clock shows it (``00:00-01:30`` on 25 October 2026 lasts two and a half hours).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ivrkit.calendars._days import DAY_NAMES, expand_days
from ivrkit.calendars._model import CalendarSpec, Span, parse_spans
from ivrkit.calendars._switches import ALL_CALENDARS, Switch
from ivrkit.errors import CalendarError

Rule = Literal["switch", "override", "holiday", "hours"]


@dataclass(frozen=True)
class CalendarStatus:
    """Open or closed, the rule that decided (``switch``, ``override``, ``holiday``, ``hours``)
    and why, in words."""

    open: bool
    rule: Rule
    reason: str
    local: datetime
    """The moment in the calendar's zone."""

    def __str__(self) -> str:
        return f"{'open' if self.open else 'closed'}: {self.reason}"


@dataclass(frozen=True)
class Calendar:
    """A calendar ready to answer: spans per weekday, holidays and overrides by date."""

    name: str
    zone: ZoneInfo
    weekly: tuple[tuple[Span, ...], ...]
    """Open spans of each weekday, Monday first."""
    holidays: Mapping[date, str | None] = field(default_factory=dict)
    """Date → name (None when the file gives none)."""
    overrides: Mapping[date, tuple[Span, ...]] = field(default_factory=dict)
    years: tuple[int, int] | None = None
    source: str = "<calendar>"
    spec: CalendarSpec | None = None
    skipped: tuple[str, ...] = ()
    """iCalendar events that were not imported (timed events), one line each, for lint."""
    files: tuple[str, ...] = ()
    """The files it was read from (its own and its .ics), which a reloading server watches."""

    @classmethod
    def from_spec(
        cls,
        spec: CalendarSpec,
        *,
        source: str = "<calendar>",
        imported: Mapping[date, str | None] | None = None,
        skipped: tuple[str, ...] = (),
        files: tuple[str, ...] = (),
    ) -> Calendar:
        """The calendar of a parsed file; ``imported`` holidays come from its iCalendar files
        (a holiday written in the file wins over an imported one of the same date)."""
        weekly: list[list[Span]] = [[] for _ in range(7)]
        for days, text in spec.hours.items():
            for day in expand_days(days):
                weekly[day].extend(parse_spans(text))
        holidays: dict[date, str | None] = dict(imported or {})
        for holiday in spec.holidays:
            holidays[holiday.date] = holiday.name
        return cls(
            name=spec.name,
            zone=ZoneInfo(spec.timezone),
            weekly=tuple(tuple(sorted(spans)) for spans in weekly),
            holidays=holidays,
            overrides={day: parse_spans(text) for day, text in spec.overrides.items()},
            years=spec.year_range(),
            source=source,
            spec=spec,
            skipped=skipped,
            files=files,
        )

    def status(
        self, moment: datetime, switches: Mapping[str, Switch] | None = None
    ) -> CalendarStatus:
        """Open or closed at ``moment`` (an aware datetime), and why. ``switches`` are the
        emergency switches that are on, by calendar name (or ``*`` for every calendar)."""
        if moment.tzinfo is None:
            raise ValueError("a calendar is asked about an aware datetime (with a zone)")
        local = moment.astimezone(self.zone)
        switch = switch_for(self.name, switches)
        if switch is not None:
            return CalendarStatus(False, "switch", switch.describe(), local)
        today = local.date()
        minute = local.hour * 60 + local.minute
        override = self.overrides.get(today)
        if override is not None:
            return _by_spans(override, minute, local, "override", f"override {today}")
        if today in self.holidays:
            name = self.holidays[today]
            return CalendarStatus(
                False, "holiday", f"holiday {today}{f' ({name})' if name else ''}", local
            )
        day = DAY_NAMES[local.weekday()]
        return _by_spans(
            self.weekly[local.weekday()], minute, local, "hours", f"weekly hours on {day}"
        )

    def is_open(self, moment: datetime, switches: Mapping[str, Switch] | None = None) -> bool:
        return self.status(moment, switches).open


def _by_spans(
    spans: tuple[Span, ...], minute: int, local: datetime, rule: Rule, what: str
) -> CalendarStatus:
    if not spans:
        return CalendarStatus(False, rule, f"{what}: closed all day", local)
    for span in spans:
        if span.start <= minute < span.end:
            return CalendarStatus(True, rule, f"{what}: {span}", local)
    listed = ", ".join(str(span) for span in spans)
    return CalendarStatus(False, rule, f"{what}: {listed}, and {local:%H:%M} is outside", local)


def switch_for(name: str, switches: Mapping[str, Switch] | None) -> Switch | None:
    """The switch that closes calendar ``name``: its own, else the one for every calendar."""
    if not switches:
        return None
    return switches.get(name) or switches.get(ALL_CALENDARS)


def local_moment(text: str, zone: ZoneInfo) -> datetime:
    """A moment from ``2026-12-24T10:00`` (wall time in ``zone``) or with an offset / ``Z``.

    A wall time the clock skips on a DST change day, or shows twice, is refused: it names no
    moment (or two); the message says which offsets to add.
    """
    try:
        parsed = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise CalendarError(
            f"{text!r} is not a date and time like 2026-12-24T10:00 (or with +01:00 / Z)"
        ) from exc
    try:
        if parsed.tzinfo is not None:
            return parsed.astimezone(zone)
        first, second = parsed.replace(tzinfo=zone, fold=0), parsed.replace(tzinfo=zone, fold=1)
        round_trip = first.astimezone(UTC).astimezone(zone)
    except OverflowError as exc:
        raise CalendarError(
            f"{text.strip()[:40]!r} in {zone.key} falls outside the years 1 to 9999: give a "
            "moment inside them"
        ) from exc
    if round_trip.replace(tzinfo=None) != parsed:
        raise CalendarError(
            f"{parsed:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip it on that "
            "day; give a time outside the skipped hour, or an offset"
        )
    if first.utcoffset() != second.utcoffset():
        raise CalendarError(
            f"{parsed:%Y-%m-%d %H:%M} happens twice in {zone.key} (the clocks go back); add the "
            f"offset: {_offset(first)} for the first, {_offset(second)} for the second"
        )
    return first


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
