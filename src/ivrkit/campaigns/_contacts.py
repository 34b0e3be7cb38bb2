"""Reading a campaign's contacts: a CSV with a ``number`` column (normalised to E.164 with
``phonenumbers``), an optional ``timezone`` column, and any other columns as session variables.

Bad rows are refused with their line number and reason; a number written twice is kept once and
the repeats reported; numbers on the do-not-call list are reported and never dialled.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

from ivrkit.errors import ConfigError, ContactsRefused

NUMBER = "number"
TIMEZONE = "timezone"
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_CONTACTS = 1_000_000


@dataclass(frozen=True)
class ContactRow:
    """One callable row of the file."""

    line: int
    number: str
    """E.164, with ``+``."""
    variables: dict[str, str]
    timezones: tuple[str, ...]
    """The callee's zone, or every zone the number may be in."""


@dataclass
class ContactList:
    """What a contacts file holds: the rows to call, and what was left out and why."""

    contacts: list[ContactRow] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    """``(line, number)`` of rows repeating an earlier row's number."""
    do_not_call: list[ContactRow] = field(default_factory=list)
    """Rows whose number is on the do-not-call list: kept to be reported, never dialled."""


def normalise(text: str, region: str) -> str:
    """``text`` as E.164 (``+6512345678``); ValueError saying why when it is no valid number."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{text[:40]!r} is not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{text[:40]!r} is not a valid number in its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def zones_of(number: str) -> tuple[str, ...]:
    """Every time zone ``number`` (E.164) may be in, from phonenumbers' data; () when unknown."""
    zones = number_zones.time_zones_for_number(phonenumbers.parse(number))
    return tuple(zone for zone in zones if zone != number_zones.UNKNOWN_TIMEZONE)


def check_region(region: str) -> str:
    region = region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{region!r} is not a region phonenumbers knows (e.g. SG, US, GB)")
    return region


def read_dnc(path: Path, region: str) -> set[str]:
    """The numbers of a do-not-call file: one a line, or a CSV with a ``number`` column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read the do-not-call file {path}: {exc.strerror}") from exc
    lines = [line.strip() for line in text.splitlines()]
    if lines and lines[0].lower().split(",")[0] == NUMBER:
        reader = csv.DictReader(io.StringIO(text))
        lines = [(row.get(NUMBER) or "").strip() for row in reader]
    found: set[str] = set()
    for entry in lines:
        if entry and not entry.startswith("#"):
            try:
                found.add(normalise(entry, region))
            except ValueError:
                found.add(entry)  # kept as written: matching it can only avoid a call
    return found


def read_contacts(
    path: Path, *, region: str = "SG", do_not_call: Iterable[str] = ()
) -> ContactList:
    """The contacts of a CSV file; raises :class:`ContactsRefused` listing every bad row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read the contacts file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the contacts file {path} is not UTF-8 text: {exc.reason}") from exc
    return parse_contacts(text, region=region, do_not_call=do_not_call, source=str(path))


def parse_contacts(
    text: str,
    *,
    region: str = "SG",
    do_not_call: Iterable[str] = (),
    source: str = "<contacts>",
) -> ContactList:
    region = check_region(region)
    blocked = set(do_not_call)
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise ContactsRefused(
            f"{source}: line 1: the header cannot be read: {_csv_problem(exc)}", [(1, "")]
        ) from None
    if NUMBER not in header:
        raise ContactsRefused(
            f"{source}: line 1: no 'number' column (found: {header[:20]})", [(1, "")]
        )
    bad_names = [
        name for name in header if name not in (NUMBER, TIMEZONE) and not _VARIABLE.match(name)
    ]
    if bad_names:
        raise ContactsRefused(
            f"{source}: line 1: column {bad_names[0][:64]!r} is not a variable name "
            "(letters, digits and _, not starting with a digit)",
            [(1, f"bad column {bad_names[0][:64]!r}")],
        )
    found = ContactList()
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    last = reader.line_num
    while True:
        line = last + 1
        try:
            fields = next(reader, None)
        except csv.Error as exc:
            problems.append((line, _csv_problem(exc)))
            break
        if fields is None:
            break
        spans, last = reader.line_num - last, reader.line_num
        if not fields:
            continue
        if spans > 1:
            # A quote that is never closed swallows the rows after it: one customer fewer.
            problems.append(
                (line, f"a quoted field runs over {spans} lines: is a closing quote missing?")
            )
            continue
        if len(found.contacts) + len(found.do_not_call) >= MAX_CONTACTS:
            problems.append((line, f"more than {MAX_CONTACTS} contacts in one campaign"))
            break
        if len(fields) > len(header):
            problems.append((line, "more fields than the header has columns"))
            continue
        row = {name: fields[i] if i < len(fields) else None for i, name in enumerate(header)}
        try:
            contact = _contact(row, line, region)
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        if contact.number in seen:
            found.duplicates.append((line, contact.number))
            continue
        seen[contact.number] = line
        if contact.number in blocked:
            found.do_not_call.append(contact)
        else:
            found.contacts.append(contact)
    if problems:
        listed = "; ".join(f"line {line}: {reason}" for line, reason in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise ContactsRefused(
            f"{source}: {len(problems)} bad row(s), nothing imported: {listed}{more}", problems
        )
    return found


def _csv_problem(exc: csv.Error) -> str:
    said = str(exc)
    if "field larger than field limit" in said:
        return f"a field is longer than {csv.field_size_limit():,} characters"
    if "unexpected end of data" in said:
        return "a quote is opened and never closed"
    return f"not CSV: {said[:200]}"


def _contact(row: dict[str, str | None], line: int, region: str) -> ContactRow:
    raw = (row.get(NUMBER) or "").strip()
    if not raw:
        raise ValueError("the number is empty")
    number = normalise(raw, region)
    zone_text = (row.get(TIMEZONE) or "").strip()
    if zone_text:
        zones = tuple(zone.strip() for zone in zone_text.split("|") if zone.strip())
        for zone in zones:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {zone[:64]!r}") from exc
    else:
        zones = zones_of(number)
        if not zones:
            raise ValueError(f"no time zone is known for {number}; add a timezone column")
    variables = {
        name: (value or "").strip()
        for name, value in row.items()
        if name is not None and name not in (NUMBER, TIMEZONE)
    }
    return ContactRow(line=line, number=number, variables=variables, timezones=zones)
