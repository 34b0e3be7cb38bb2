"""Statements compiled once for a dialect and run with the driver's executemany.

The group commit writes hundreds of rows a second through four statements; a Core executemany
runs SQLAlchemy's per-row machinery (parameter construction, type processing through
TypeDecorator layers) on each. Here the statement is compiled once, each column's bind processor
(the same conversion SQLAlchemy applies, from the column types) is looked up once, and the rows
go to the driver as plain tuples (or dicts, for drivers with named parameters) through
``exec_driver_sql``, which keeps SQLAlchemy's error wrapping. On PostgreSQL an INSERT takes all
its rows in one statement (:mod:`ivrkit.store._rowset`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from ivrkit.store._rowset import rowset_of
from ivrkit.store._schema import SafeText

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement for one dialect, taking rows keyed by its parameter names."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> None:
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
        # What a row needs before it goes as JSON (:mod:`ivrkit.store._rowset`): not SafeText's
        # processing, which only changes a NUL, and a NUL sends the rows one by one anyway.
        self._json_processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(names):
            bind = compiled.binds[name]
            self._defaults.append((name, bind.required, bind.value))
            processor: Processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors.append((index, processor))
                if not isinstance(bind.type, SafeText):
                    self._json_processors.append((index, processor))
        unknown = set(keys) - set(names)
        if unknown:
            raise ValueError(f"the statement takes no parameters {sorted(unknown)}")
        # A row that has every parameter (the usual case: rows are built with the keys the
        # statement was compiled for) is read in one C call.
        self._all = len(self._names)
        self._get = _getter(self._names)
        self.rowset = rowset_of(compiled, dialect, self._names)
        """On PostgreSQL, the statement that takes every row at once (None: one by one)."""

    def row(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters of one row, processed by the column types."""
        row = self._values(values, self._processors)
        return tuple(row) if self.positional else dict(zip(self._names, row, strict=True))

    def _values(
        self, values: Mapping[str, Any], processors: list[tuple[int, Callable[[Any], Any]]]
    ) -> list[Any]:
        if len(values) == self._all:
            try:
                row = list(self._get(values))
            except KeyError:
                pass
            else:
                for index, processor in processors:
                    row[index] = processor(row[index])
                return row
        get = values.get
        try:
            row = [
                values[name] if required else get(name, default)
                for name, required, default in self._defaults
            ]
        except KeyError as exc:
            raise ValueError(f"a row lacks the parameter {exc.args[0]!r}") from None
        for index, processor in processors:
            row[index] = processor(row[index])
        return row

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        if self.rowset is not None:
            names, processors = self._names, self._json_processors
            named = [
                dict(zip(names, self._values(values, processors), strict=True)) for values in rows
            ]
            if self.rowset.execute(conn, named):
                return
        conn.exec_driver_sql(self.sql, [self.row(values) for values in rows])


def _getter(names: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """The values of ``names`` from a mapping, as a tuple (also for one name, or none)."""
    if not names:
        return lambda values: ()
    if len(names) == 1:
        get_one = itemgetter(names[0])
        return lambda values: (get_one(values),)
    return itemgetter(*names)
