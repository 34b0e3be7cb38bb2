"""Many rows of one INSERT in one PostgreSQL statement: the rows go as one JSON document that
``json_to_recordset`` turns back into rows, in their order.

psycopg's executemany sends one statement per row (pipelined): a batch of a hundred rows cost
the projector about a hundred times the client-side work of one statement. Here the statement
``INSERT INTO t (a, b) VALUES (%(a)s, %(b)s) [ON CONFLICT ...]`` that SQLAlchemy compiled is
run as ``INSERT INTO t (a, b) SELECT r.a, r.b FROM ROWS FROM (json_to_recordset(...) AS (a
text, b bigint)) WITH ORDINALITY AS r(a, b, n) ORDER BY r.n [ON CONFLICT ...]``: the same
expressions over the same values (bound as before: the column types' processors run first, but
for text, whose processing only replaces a NUL), so the rows stored are the ones executemany
stores, with ids handed out in the rows' order.

An upsert that updates a row it may meet twice (ON CONFLICT ... DO UPDATE: PostgreSQL refuses
that in one statement) runs in waves: a key's first row in the first statement, its second in
the second, ..., as executemany would have applied them. Rows with a NUL character anywhere
(which PostgreSQL's json_to_recordset refuses as text, and the text type replaces) go through
executemany, fully processed, as every statement that is not a plain INSERT ... VALUES does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import JSON, LargeBinary, String

_INSERT = re.compile(r"INSERT INTO (\S+) \(([^()]*)\) VALUES \(")
_CONFLICT = re.compile(r" ON CONFLICT \(([^()]*)\) DO UPDATE ")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_ROWS = "ivrkit_rows"
_ORDER = "ivrkit_order"


class Rowset:
    """An INSERT compiled for psycopg, run over many rows at once (:func:`rowset_of` makes one
    when the statement has that shape)."""

    def __init__(
        self, sql: str, keys: Sequence[str], constants: Sequence[str], encoder: msgspec.json.Encoder
    ) -> None:
        self.sql = sql
        self._keys = list(keys)
        self._constants = list(constants)
        self._encode = encoder.encode

    def execute(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> bool:
        """Insert ``rows`` (parameter dicts, processed for the driver but for text); False when
        they must go one by one (nothing was sent then)."""
        constants = {name: rows[0][name] for name in self._constants}
        for name, value in constants.items():
            if any(row[name] != value for row in rows):
                return False
        waves: list[list[Mapping[str, Any]]] = [list(rows)]
        if self._keys:
            waves = []
            seen: dict[tuple[Any, ...], int] = {}
            for row in rows:
                key = tuple(row[name] for name in self._keys)
                wave = seen.get(key, 0)
                seen[key] = wave + 1
                if wave == len(waves):
                    waves.append([])
                waves[wave].append(row)
        documents = []
        for wave_rows in waves:
            try:
                document = self._encode(wave_rows).decode()
            except (TypeError, ValueError, msgspec.EncodeError):
                return False
            if "\\u0000" in document:
                return False
            documents.append(document)
        for document in documents:
            conn.exec_driver_sql(self.sql, {_ROWS: document, **constants})
        return True


def rowset_of(compiled: SQLCompiler, dialect: Dialect, names: Sequence[str]) -> Rowset | None:
    """A :class:`Rowset` of ``compiled`` (psycopg's named parameters ``names``), or None when
    it is not an ``INSERT ... VALUES (...)`` whose values are all parameters of the row."""
    sql = compiled.string
    head = _INSERT.match(sql)
    if head is None or dialect.name != "postgresql" or " RETURNING " in sql:
        return None
    start = head.end()
    end = _closing(sql, start - 1)
    if end is None:
        return None
    values, rest = sql[start:end], sql[end + 1 :]
    in_row = list(dict.fromkeys(_PLACEHOLDER.findall(values)))
    constants = [name for name in names if name not in in_row]
    if any(name in in_row for name in _PLACEHOLDER.findall(rest)):
        return None
    for name in constants:
        if compiled.binds[name].required:
            return None
    definitions = []
    for name in in_row:
        type_ = compiled.binds[name].type
        impl = type_.dialect_impl(dialect)
        if isinstance(impl, JSON):
            # Bound as JSON text (its processor makes it), which the statement's cast reads.
            if f"%({name})s::JSON" not in values:
                return None
            definitions.append(f'"{name}" TEXT')
        elif isinstance(impl, LargeBinary):
            return None  # JSON has no bytes
        elif isinstance(impl, String):
            # The statement's own cast and the column check lengths, as they do for executemany.
            definitions.append(f'"{name}" TEXT')
        else:
            definitions.append(f'"{name}" {dialect.type_compiler_instance.process(type_)}')
    select = _PLACEHOLDER.sub(lambda found: f'r."{found.group(1)}"', values)
    aliases = ", ".join(f'"{name}"' for name in in_row)
    sql = (
        f"INSERT INTO {head.group(1)} ({head.group(2)}) SELECT {select} FROM ROWS FROM "
        f"(json_to_recordset(%({_ROWS})s::json) AS ({', '.join(definitions)})) "
        f'WITH ORDINALITY AS r({aliases}, "{_ORDER}") ORDER BY r."{_ORDER}"{rest}'
    )
    keys: list[int] = []
    conflict = _CONFLICT.search(rest)
    if conflict is not None:
        for column in (part.strip() for part in conflict.group(1).split(",")):
            if column not in in_row or f"%({column})s" not in values:
                return None
            keys.append(in_row.index(column))
    return Rowset(sql, [in_row[index] for index in keys], constants, _encoder(dialect))


def _encoder(dialect: Dialect) -> msgspec.json.Encoder:
    """JSON of processed parameters: a JSON column's value (psycopg's ``Json`` wrapper) as the
    text psycopg would send for it, which the statement casts back to JSON."""
    from psycopg.types.json import Json

    serializer: Callable[[Any], str] = getattr(dialect, "_json_serializer", None) or json.dumps

    def as_text(value: Any) -> Any:
        if isinstance(value, Json):
            return (value.dumps or serializer)(value.obj)
        raise TypeError(f"{type(value).__name__} is not a parameter JSON carries")

    return msgspec.json.Encoder(enc_hook=as_text)


def _closing(sql: str, opening: int) -> int | None:
    """The index of the parenthesis that closes the one at ``opening``."""
    depth = 0
    for index in range(opening, len(sql)):
        char = sql[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        elif char == "'":
            return None  # a literal: not a statement this reads
    return None
