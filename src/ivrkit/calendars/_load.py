"""Reading calendar files: YAML → :class:`CalendarSpec` → :class:`Calendar`, with their
iCalendar imports, and the calendars a tree names in its ``calendars:`` list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from ivrkit.calendars._calendar import Calendar
from ivrkit.calendars._ical import read_ics
from ivrkit.calendars._model import CalendarSpec
from ivrkit.errors import CalendarError

MAX_CALENDAR_BYTES = 256 * 1024
"""Largest calendar file read (hours and a few dozen holidays are a few kilobytes): every
command that loads a tree reads it, and a larger one takes longer than a second."""
SUFFIXES = (".yaml", ".yml")


_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it (several times faster), else the pure Python one."""


class _Loader(_BASE):  # type: ignore[valid-type,misc]
    """Dates stay text for the models to check, so that 2026-02-30 is a field error that names
    the field, not a crash of the YAML reader."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def load_calendar(path: Path) -> Calendar:
    """Load one calendar file and the .ics files it imports; CalendarError in one line."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CALENDAR_BYTES + 1)
    except OSError as exc:
        raise CalendarError(
            f"cannot read the calendar file: {exc.strerror or exc}", file=str(path)
        ) from exc
    if len(data) > MAX_CALENDAR_BYTES:
        raise CalendarError(f"larger than {MAX_CALENDAR_BYTES:,} bytes", file=str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CalendarError("not UTF-8 text: save the file as UTF-8", file=str(path)) from exc
    return parse_calendar(text, source=str(path), base=path.parent)


def parse_calendar(text: str, *, source: str = "<calendar>", base: Path | None = None) -> Calendar:
    """A calendar from YAML text; its ``ical`` files are found relative to ``base``."""
    spec = parse_calendar_spec(text, source=source)
    imported: dict[date, str | None] = {}
    skipped: list[str] = []
    files = [source] if not source.startswith("<") else []
    for name in spec.ical:
        ics = Path(name) if base is None else base / name
        found, passed = read_ics(ics, years=spec.year_range())
        for day, holiday in found.items():
            imported.setdefault(day, holiday)
        skipped.extend(f"{name}: {line}" for line in passed)
        files.append(str(ics))
    return Calendar.from_spec(
        spec, source=source, imported=imported, skipped=tuple(skipped), files=tuple(files)
    )


def parse_calendar_spec(text: str, *, source: str = "<calendar>") -> CalendarSpec:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise CalendarError(
            f"not valid YAML: {exc.problem}",
            file=source,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise CalendarError(f"not valid YAML: {exc}", file=source) from exc
    if not isinstance(data, dict):
        raise CalendarError(
            "a calendar file is a mapping with name, timezone and hours", file=source
        )
    try:
        return CalendarSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        message = first["msg"].removeprefix("Value error, ")
        raise CalendarError(f"{where}: {message}", file=source) from exc


def calendar_files(paths: Iterable[str], base: Path) -> list[Path]:
    """The calendar files a tree lists: each path (relative to ``base``) is a file, or a folder
    whose ``*.yaml`` / ``*.yml`` files are all calendars."""
    found: list[Path] = []
    for name in paths:
        path = base / name
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES))
        else:
            found.append(path)
    return found


def load_calendars(paths: Iterable[str], base: Path) -> dict[str, Calendar]:
    """The calendars of a tree's ``calendars:`` list, by name; two of one name are refused."""
    calendars: dict[str, Calendar] = {}
    for path in calendar_files(paths, base):
        calendar = load_calendar(path)
        earlier = calendars.get(calendar.name)
        if earlier is not None:
            raise CalendarError(
                f"the calendar name {calendar.name!r} is used by {earlier.source} too; "
                "calendar names must differ",
                file=str(path),
            )
        calendars[calendar.name] = calendar
    return calendars
