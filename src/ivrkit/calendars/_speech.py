"""A calendar's weekly hours as a caller hears them, in the caller's language: what a prompt's
``{hours:support}`` becomes ("Monday to Friday, 9 AM to 5 PM; Saturday, 10 AM to noon").

Days with the same hours are grouped when they follow each other (Monday first); closed days are
left out. Holidays and dated overrides are not spoken: they are exceptions a prompt announces in
its own words. A language without words here is spoken in English (``ivrkit lint`` warns).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ivrkit.calendars._calendar import Calendar
from ivrkit.calendars._model import Span

__all__ = ["HOURS_PLACEHOLDER", "SPOKEN_LANGUAGES", "speaks", "spoken_hours"]

HOURS_PLACEHOLDER = re.compile(r"\{hours:([A-Za-z_][A-Za-z0-9_\-]{0,63})\}")
"""``{hours:<calendar name>}`` in a prompt (the name as a calendar file writes it)."""

MIDNIGHT = 24 * 60


@dataclass(frozen=True)
class _Words:
    days: tuple[str, str, str, str, str, str, str]
    one_day: str
    """A group of one day: ``{day}``."""
    days_through: str
    """A group of several days: ``{first}``, ``{last}``."""
    every_day: str
    span: str
    """``{start}``, ``{end}``."""
    and_: str
    closed: str
    clock: Callable[[int], str]
    group: str = "{days}, {spans}"
    separator: str = "; "


def _english_clock(minutes: int) -> str:
    if minutes in (0, MIDNIGHT):
        return "midnight"
    if minutes == 12 * 60:
        return "noon"
    hour, minute = divmod(minutes, 60)
    shown = hour % 12 or 12
    half = "AM" if hour < 12 else "PM"
    return f"{shown} {half}" if not minute else f"{shown}:{minute:02d} {half}"


def _clock(mark: str, *, pad: bool = False) -> Callable[[int], str]:
    """A 24-hour clock: ``17``, ``9.30`` (``mark`` between hours and minutes; ``pad``: always
    with minutes, ``17:00``)."""

    def spoken(minutes: int) -> str:
        hour, minute = divmod(minutes, 60)
        return f"{hour}" if not minute and not pad else f"{hour}{mark}{minute:02d}"

    return spoken


def _french_clock(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    return f"{hour} h" if not minute else f"{hour} h {minute:02d}"


_WORDS: dict[str, _Words] = {
    "en": _Words(
        days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        one_day="{day}",
        days_through="{first} to {last}",
        every_day="every day",
        span="{start} to {end}",
        and_=" and ",
        closed="closed",
        clock=_english_clock,
    ),
    "da": _Words(
        days=("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
        one_day="{day}",
        days_through="{first} til {last}",
        every_day="alle dage",
        span="{start} til {end}",
        and_=" og ",
        closed="lukket",
        clock=_clock("."),
    ),
    "de": _Words(
        days=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        one_day="{day}",
        days_through="{first} bis {last}",
        every_day="täglich",
        span="{start} bis {end} Uhr",
        and_=" und ",
        closed="geschlossen",
        clock=_clock(":"),
    ),
    "es": _Words(
        days=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        one_day="{day}",
        days_through="de {first} a {last}",
        every_day="todos los días",
        span="de {start} a {end}",
        and_=" y ",
        closed="cerrado",
        clock=_clock(":", pad=True),
    ),
    "fr": _Words(
        days=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        one_day="le {day}",
        days_through="du {first} au {last}",
        every_day="tous les jours",
        span="de {start} à {end}",
        and_=" et ",
        closed="fermé",
        clock=_french_clock,
        separator=" ; ",
    ),
}

SPOKEN_LANGUAGES = tuple(sorted(_WORDS))
"""Languages whose words for hours ivrkit has (a tree's language code, or its first part:
``en-GB`` speaks as ``en``)."""


def _words(language: str) -> _Words | None:
    return _WORDS.get(language.lower()) or _WORDS.get(language.split("-")[0].lower())


def speaks(language: str) -> bool:
    """Whether hours are spoken in ``language`` itself (else in English)."""
    return _words(language) is not None


def spoken_hours(calendar: Calendar, language: str) -> str:
    """The weekly hours of ``calendar`` in words of ``language`` (English when it has none)."""
    words = _words(language) or _WORDS["en"]
    groups = _groups(calendar.weekly)
    if not groups:
        return words.closed
    parts: list[str] = []
    for first, last, spans in groups:
        if first == 0 and last == 6:
            days = words.every_day
        elif first == last:
            days = words.one_day.format(day=words.days[first])
        else:
            days = words.days_through.format(first=words.days[first], last=words.days[last])
        said = words.and_.join(
            words.span.format(start=words.clock(span.start), end=words.clock(span.end))
            for span in spans
        )
        parts.append(words.group.format(days=days, spans=said))
    return words.separator.join(parts)


def _groups(
    weekly: Sequence[tuple[Span, ...]],
) -> list[tuple[int, int, tuple[Span, ...]]]:
    """(first day, last day, spans) of the days that follow each other with the same hours."""
    groups: list[tuple[int, int, tuple[Span, ...]]] = []
    for day, spans in enumerate(weekly):
        if not spans:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == spans:
            groups[-1] = (groups[-1][0], day, spans)
        else:
            groups.append((day, day, spans))
    return groups
