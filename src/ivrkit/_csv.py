"""CSV for people's spreadsheets, one writer for every export: a cell that a spreadsheet would run
as a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage return first) is written with a
leading ``'`` so it is read as text, a signed number stays a number, and NUL bytes are dropped."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

__all__ = ["cell", "csv_text", "writer"]

FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"^[+-][0-9][0-9 .]*(e[+-]?[0-9]+)?$", re.IGNORECASE)


def cell(value: object) -> str:
    """The text of ``value`` as a CSV cell a spreadsheet shows and never runs."""
    text = "" if value is None else str(value)
    text = text.replace("\x00", "")
    if text.startswith(FORMULA_LEADERS) and not _SIGNED_NUMBER.match(text):
        return f"'{text}"
    return text


class _Writer:
    """``csv.writer`` whose every cell goes through :func:`cell`."""

    def __init__(self, out: io.StringIO, lineterminator: str) -> None:
        self._writer = csv.writer(out, lineterminator=lineterminator)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(value) for value in row])


def writer(out: io.StringIO, *, lineterminator: str = "\r\n") -> _Writer:
    return _Writer(out, lineterminator)


def csv_text(rows: Iterable[Iterable[object]], *, lineterminator: str = "\r\n") -> str:
    """The rows (the first one the header) as CSV text."""
    out = io.StringIO()
    made = writer(out, lineterminator=lineterminator)
    for row in rows:
        made.writerow(row)
    return out.getvalue()
