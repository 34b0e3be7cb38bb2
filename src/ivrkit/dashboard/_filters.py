"""The sessions page's filters, read from a query string into a store query (and back into links
for paging and export)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlencode

from ivrkit.analytics._ranges import RangeError, bounds
from ivrkit.dashboard._browse import SessionQuery

__all__ = ["FIELDS", "FilterError", "SessionFilters"]

FIELDS = ("since", "until", "status", "outcome", "flow", "campaign", "number", "q")
PER_PAGE = 25
MAX_PER_PAGE = 200
MAX_FIELD = 200


class FilterError(ValueError):
    """A filter the page cannot apply; its message is shown above the form."""


@dataclass(frozen=True)
class SessionFilters:
    """The filters as typed (strings, "" when empty) and the page asked for."""

    values: dict[str, str]
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> SessionFilters:
        values = {name: params.get(name, "").strip()[:MAX_FIELD] for name in FIELDS}
        page = _number(params, "page", 1, 1_000_000, 1)
        per_page = _number(params, "per_page", 1, MAX_PER_PAGE, PER_PAGE)
        return cls(values, page, per_page)

    def query(self, now: datetime, zone: tzinfo = UTC) -> SessionQuery:
        """The store's query; times without an offset are read in ``zone``."""
        v = self.values
        try:
            since, until = bounds(v["since"] or None, v["until"] or None, now=now, zone=zone)
        except RangeError as exc:
            raise FilterError(str(exc)) from exc
        return SessionQuery(
            since=since,
            until=until,
            status=v["status"].upper() or None,
            outcome=v["outcome"] or None,
            flow=v["flow"] or None,
            campaign=v["campaign"] or None,
            number=v["number"] or None,
            search=v["q"] or None,
            page=self.page,
            per_page=self.per_page,
        )

    def link(self, page: int | None = None) -> str:
        """The query string of these filters (at ``page``), empty fields left out."""
        pairs = [(name, value) for name, value in self.values.items() if value]
        if self.per_page != PER_PAGE:
            pairs.append(("per_page", str(self.per_page)))
        if page is not None and page > 1:
            pairs.append(("page", str(page)))
        return urlencode(pairs)


def _number(params: Mapping[str, str], name: str, low: int, high: int, default: int) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise FilterError(f"{name} takes a number from {low} to {high}, not {text[:20]!r}")
    return int(text)
