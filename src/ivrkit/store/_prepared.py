"""Statements compiled once for a dialect and run with the driver's executemany.

The group commit writes hundreds of rows a second through four statements; a Core executemany
runs SQLAlchemy's per-row machinery (parameter construction, type processing through
TypeDecorator layers) on each. Here the statement is compiled once, each column's bind processor
(the same conversion SQLAlchemy applies, from the column types) is looked up once, and the rows
go to the driver as plain tuples (or dicts, for drivers with named parameters) through
``exec_driver_sql``, which keeps SQLAlchemy's error wrapping.

On PostgreSQL an INSERT whose rows cannot touch each other (a plain INSERT, ``ON CONFLICT DO
NOTHING``, or an upsert the caller says has distinct keys) goes as one statement with many
``VALUES`` groups, a few hundred rows per round trip, instead of a pipelined statement per row:
the server parses and plans once, the driver handles one result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None

MAX_PARAMETERS = 30_000
"""Most parameters in one multi-row statement (PostgreSQL takes at most 65,535)."""
MAX_ROWS = 512
"""Most rows in one multi-row statement."""
_VALUES = re.compile(r"^(INSERT INTO .*? VALUES )(\(.*?\))((?: ON CONFLICT .*)?)$", re.DOTALL)
_NAMED = re.compile(r"%\(([^)]+)\)s")


class Prepared:
    """One statement for one dialect, taking rows keyed by its parameter names."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        keys: Sequence[str],
        *,
        distinct_keys: bool = False,
    ) -> None:
        """``distinct_keys``: the rows given to one :meth:`executemany` never conflict with each
        other (lets an ``ON CONFLICT DO UPDATE`` go as one multi-row statement)."""
        compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.positional = compiled.positiontup is not None
        names: Sequence[str] = compiled.positiontup or [
            name for name in compiled.binds if f"%({name})s" in self.sql
        ]
        self._names = list(names)
        self._defaults: list[tuple[str, bool, Any]] = []
        self._processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(names):
            bind = compiled.binds[name]
            self._defaults.append((name, bind.required, bind.value))
            processor: Processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors.append((index, processor))
        unknown = set(keys) - set(names)
        if unknown:
            raise ValueError(f"the statement takes no parameters {sorted(unknown)}")
        self._multirow: tuple[str, str, str, list[int]] | None = None
        self._texts: dict[int, str] = {}
        if dialect.name == "postgresql" and not self.positional:
            self._multirow = _multirow(self.sql, self._names, distinct_keys)

    def row(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        row = self._values(values)
        return tuple(row) if self.positional else dict(zip(self._names, row, strict=True))

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        if self._multirow is None or len(rows) == 1:
            conn.exec_driver_sql(self.sql, [self.row(values) for values in rows])
            return
        head, group, tail, order = self._multirow
        limit = max(1, min(MAX_ROWS, MAX_PARAMETERS // max(1, len(order))))
        start = 0
        while start < len(rows):
            # Statements of 2^k rows: a handful of texts per statement, which the driver
            # parses once and the server prepares once, however the batches are cut.
            size = 1 << (min(limit, len(rows) - start).bit_length() - 1)
            flat: list[Any] = []
            for values in rows[start : start + size]:
                row = self._values(values)
                flat.extend([row[index] for index in order])
            sql = self._texts.get(size)
            if sql is None:
                sql = self._texts[size] = head + ", ".join([group] * size) + tail
            conn.exec_driver_sql(sql, tuple(flat))
            start += size

    def _values(self, values: Mapping[str, Any]) -> list[Any]:
        """A row's parameters in the statement's order, processed."""
        get = values.get
        try:
            row = [
                values[name] if required else get(name, default)
                for name, required, default in self._defaults
            ]
        except KeyError as exc:
            raise ValueError(f"a row lacks the parameter {exc.args[0]!r}") from None
        for index, processor in self._processors:
            row[index] = processor(row[index])
        return row


def _multirow(
    sql: str, names: list[str], distinct_keys: bool
) -> tuple[str, str, str, list[int]] | None:
    """(head, one VALUES group with positional placeholders, tail, the parameters' indexes in
    placeholder order) of an INSERT that may take many rows in one statement; None otherwise."""
    found = _VALUES.match(sql)
    if found is None:
        return None
    head, group, tail = found.groups()
    if tail and not (tail.endswith("DO NOTHING") or distinct_keys):
        return None
    placeholders = _NAMED.findall(group)
    if "%(" in head + tail or any(name not in names for name in placeholders):
        return None
    order = [names.index(name) for name in placeholders]
    return head, _NAMED.sub("%s", group), tail, order
