"""The emergency switches of routing calendars, kept in the store so that every replica of
`ivrkit serve` reads the same one (``ivrkit closed on|off``)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ivrkit.calendars._model import CALENDAR_NAME
from ivrkit.calendars._switches import ALL_CALENDARS, Switch
from ivrkit.errors import ConfigError
from ivrkit.store import _schema as schema
from ivrkit.store._sql import Store

_T = schema.calendar_switches
MAX_REASON = 500
"""Longest reason kept (it is said by `ivrkit closed` and `calendar check`, not a document)."""


class SwitchStore:
    """The calendar switches of one :class:`~ivrkit.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def set(
        self, calendar: str | None, *, closed: bool, now: datetime, reason: str | None = None
    ) -> Switch:
        """Turn the switch of ``calendar`` (None: every calendar) on (``closed``) or off."""
        name = calendar if calendar is not None else ALL_CALENDARS
        if name != ALL_CALENDARS and not re.match(CALENDAR_NAME, name):
            raise ConfigError(
                f"{name!r} is not a calendar name (letters, digits, '_' and '-', at most 64)"
            )
        text = " ".join(reason.split())[:MAX_REASON] if reason else None
        values = {"closed": closed, "reason": text, "changed_at": now}
        insert = postgresql.insert if self.store.dialect == "postgresql" else sqlite.insert
        statement = insert(_T).values(calendar=name, **values)
        statement = statement.on_conflict_do_update(index_elements=[_T.c.calendar], set_=values)
        with self.store.transaction() as conn:
            conn.execute(statement)
        return Switch(name, closed, text, now)

    def all(self) -> list[Switch]:
        """Every switch ever set (on or off), by calendar name; ``*`` first."""
        with self.store.reading() as conn:
            rows = conn.execute(select(_T).order_by(_T.c.calendar)).all()
        return [Switch(row.calendar, bool(row.closed), row.reason, row.changed_at) for row in rows]

    def closed(self) -> dict[str, Switch]:
        """The switches that are on, by calendar name (what the engine obeys)."""
        with self.store.reading() as conn:
            rows = conn.execute(select(_T).where(_T.c.closed.is_(True))).all()
        return {
            row.calendar: Switch(row.calendar, True, row.reason, row.changed_at) for row in rows
        }
