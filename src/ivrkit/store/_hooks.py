"""The hook through which the store keeps the analytics counters, without knowing how they are
counted.

The projector folds every session that ends into the counters inside the transaction that
projects its summary, and takes a session out of them again before a late row changes what it
counts; a rebuild of the projections empties them first. What folding means belongs to
:mod:`ivrkit.analytics`, a layer above the store, which the store never imports. A store uses,
in this order:

1. the counters it was given (``open_store(url, counters=...)``; :data:`NO_COUNTERS` says that
   it keeps none);
2. the ones registered in this process (:func:`register_counters`: importing
   :mod:`ivrkit.analytics` registers its fold);
3. the ones the installed distribution declares under the entry point group
   :data:`ENTRY_POINTS` (ivrkit declares analytics' fold there), so a process that never imports
   analytics (the webhook server's workers) keeps the same counters.

A store that finds none refuses to project (:class:`~ivrkit.errors.ConfigError`) rather than
leave the counters silently behind the sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

from sqlalchemy import Connection

from ivrkit.errors import ConfigError

Fold = Callable[[Connection, Sequence[str], int], int]
"""Adds ended sessions to the counters (``sign`` 1) or takes them out (-1), in the caller's
transaction; returns how many sessions were folded."""

Clear = Callable[[Connection], None]
"""Empties the counters, in the caller's transaction."""


@dataclass(frozen=True)
class Counters:
    """What the store calls to keep counters folded from ended sessions."""

    fold: Fold
    clear: Clear


def _fold_nothing(conn: Connection, session_ids: Sequence[str], sign: int) -> int:
    return 0


def _clear_nothing(conn: Connection) -> None:
    return None


NO_COUNTERS = Counters(fold=_fold_nothing, clear=_clear_nothing)
"""A store that keeps no counters, said explicitly."""

ENTRY_POINTS = "ivrkit.counters"
"""The entry point group of the counters an installed distribution provides."""

_registered: Counters | None = None


def register_counters(counters: Counters) -> None:
    """Make ``counters`` the ones every store without its own uses (the last one registered
    wins; :mod:`ivrkit.analytics` registers its fold when it is imported)."""
    global _registered
    _registered = counters


def registered_counters() -> Counters | None:
    return _registered


def installed_counters() -> Counters | None:
    """The counters declared under :data:`ENTRY_POINTS` (the first by name), None if none."""
    for entry in sorted(entry_points(group=ENTRY_POINTS), key=lambda entry: entry.name):
        loaded = entry.load()
        if isinstance(loaded, Counters):
            return loaded
    return None


def counters_for(given: Counters | None) -> Counters:
    """The counters a store uses (see the module's docstring); raises
    :class:`~ivrkit.errors.ConfigError` when there are none."""
    if given is not None:
        return given
    if _registered is not None:
        return _registered
    found = installed_counters()
    if found is None:
        raise ConfigError(
            "no analytics counters are registered with the store, so it cannot project ended "
            "sessions: install ivrkit (its entry point declares them) or import "
            "ivrkit.analytics before the store projects, or open the store with "
            "counters=NO_COUNTERS to keep none"
        )
    register_counters(found)
    return found
