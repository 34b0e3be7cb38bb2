"""The order findings are reported in: the steps of spec §5.3, and a collector sorting by them."""

from __future__ import annotations

from ivrkit.rules._codes import STATUS_MESSAGES
from ivrkit.rules._verdict import Finding

__all__ = ["ACCOUNT", "BODY", "COUNT", "FIRST", "PARAMS", "SCHEMA", "Findings"]

# Steps of spec §5.3. In the "by entry" steps findings sort by entry index, elsewhere by code.
BODY, SCHEMA, FIRST, COUNT, PARAMS, ACCOUNT = range(6)
_BY_ENTRY = frozenset({SCHEMA, PARAMS})
_CODE_RANK = {
    code: rank
    for rank, code in enumerate((-1013, -1010, -1012, -1004, -1011, -1017, -1014, -1016, -1015))
}


class Findings:
    """Findings as they are found, handed back in the platform's order."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, Finding]] = []

    def add(self, step: int, entry: int, code: int, path: str | None, detail: str = "") -> None:
        message = STATUS_MESSAGES[code]
        if detail:
            message = f"{message} {path}: {detail}"
        sub = entry if step in _BY_ENTRY else _CODE_RANK.get(code, 0)
        self._items.append((step, sub, len(self._items), Finding(code, message, path)))

    def ordered(self) -> tuple[Finding, ...]:
        return tuple(item[3] for item in sorted(self._items, key=lambda item: item[:3]))
