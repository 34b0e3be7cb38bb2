"""A calendar's weekly hours in words, as `{hours:NAME}` speaks them in each language."""

from __future__ import annotations

import pytest

from ivrkit.calendars import Calendar, parse_calendar
from ivrkit.calendars._speech import SPOKEN_LANGUAGES, speaks, spoken_hours


def calendar(hours: str) -> Calendar:
    return parse_calendar(f"name: support\ntimezone: Europe/Paris\nhours: {hours}\n")


WEEK = calendar('{mon-fri: "09:00-17:30", sat: "10:00-12:00, 13:00-15:00"}')


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Monday to Friday, 9 AM to 5:30 PM; Saturday, 10 AM to noon and 1 PM to 3 PM"),
        ("en-GB", "Monday to Friday, 9 AM to 5:30 PM; Saturday, 10 AM to noon and 1 PM to 3 PM"),
        ("da", "mandag til fredag, 9 til 17.30; lørdag, 10 til 12 og 13 til 15"),
        ("de", "Montag bis Freitag, 9 bis 17:30 Uhr; Samstag, 10 bis 12 Uhr und 13 bis 15 Uhr"),
        (
            "fr",
            "du lundi au vendredi, de 9 h à 17 h 30 ; le samedi, de 10 h à 12 h et de 13 h à 15 h",
        ),
        ("es", "de lunes a viernes, de 9:00 a 17:30; sábado, de 10:00 a 12:00 y de 13:00 a 15:00"),
    ],
)
def test_the_week_is_said_in_the_callers_language(language: str, said: str) -> None:
    assert spoken_hours(WEEK, language) == said


def test_days_group_only_when_they_follow_each_other_with_the_same_hours() -> None:
    split = calendar(
        '{mon: "08:00-12:00", tue: "09:00-17:00", wed: "09:00-17:00", fri: "00:00-24:00"}'
    )
    assert spoken_hours(split, "en") == (
        "Monday, 8 AM to noon; Tuesday to Wednesday, 9 AM to 5 PM; Friday, midnight to midnight"
    )
    every = calendar('{mon-sun: "07:00-22:00"}')
    assert spoken_hours(every, "en") == "every day, 7 AM to 10 PM"
    assert spoken_hours(calendar("{}"), "fr") == "fermé"


def test_a_language_without_words_is_spoken_in_english() -> None:
    assert not speaks("ja") and speaks("EN-us") and "en" in SPOKEN_LANGUAGES
    assert spoken_hours(WEEK, "ja") == spoken_hours(WEEK, "en")
