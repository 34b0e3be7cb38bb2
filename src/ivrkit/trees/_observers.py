"""Who hears the routes each tree takes while it answers: route coverage of a test run.

Nobody listens unless asked, so answering costs nothing more. A test run listens in its own
process with :func:`log_routes_to`, and in the processes it starts (an ``ivrkit serve`` in a
subprocess, pytest-xdist workers) through the ``IVRKIT_ROUTE_LOG`` environment variable: a
process that imports ivrkit with it set appends what its trees answer to the file it names.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivrkit.trees._model import TreeSpec
    from ivrkit.trees._position import RouteTaken

log = logging.getLogger("ivrkit.trees")

ROUTE_LOG_VARIABLE = "IVRKIT_ROUTE_LOG"
"""Names a file every ivrkit process started with it appends the routes its trees take to."""

RouteObserver = Callable[["TreeSpec", str, "Sequence[RouteTaken]"], None]
"""Called with a tree, its version and the routes one answer took (none: the tree is served)."""

OBSERVERS: list[RouteObserver] = []
"""Who listens; the engine tells them only when there is someone."""


def tell(spec: TreeSpec, version: str, routes: Sequence[RouteTaken]) -> None:
    for observer in tuple(OBSERVERS):
        observer(spec, version, routes)


class RouteLog:
    """Appends to a file, one JSON line per answer, the routes taken (and, once per version,
    the tree itself). Lines are written whole with ``O_APPEND``, so threads and processes can
    share the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._trees_written: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, spec: TreeSpec, version: str, routes: Sequence[RouteTaken]) -> None:
        lines: list[dict[str, object]] = []
        with self._lock:
            if version not in self._trees_written:
                self._trees_written.add(version)
                lines.append({"version": version, "tree": _tree_json(spec)})
        if routes:
            taken = [[route.node, str(route.kind), route.value] for route in routes]
            lines.append({"version": version, "routes": taken})
        if not lines:
            return
        data = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, data.encode())
            finally:
                os.close(descriptor)
        except OSError as exc:
            # Counting routes must never cost a caller an answer: stop counting instead.
            stop_logging(self)
            log.warning(
                "route log %s cannot be written (%s): routes are no longer logged", self.path, exc
            )


def log_routes_to(path: Path) -> RouteLog:
    """Listen in this process: append the routes every tree takes to ``path``."""
    for observer in OBSERVERS:
        if isinstance(observer, RouteLog) and observer.path == path:
            return observer
    log = RouteLog(path)
    OBSERVERS.append(log)
    return log


def stop_logging(log: RouteLog) -> None:
    if log in OBSERVERS:
        OBSERVERS.remove(log)


def _tree_json(spec: TreeSpec) -> object:
    """The tree as JSON that :class:`TreeSpec` reads back (a node lists only its own kind)."""
    return spec.model_dump(mode="json", exclude_none=True)


def _from_environment() -> None:
    named = os.environ.get(ROUTE_LOG_VARIABLE)
    if named:
        log_routes_to(Path(named))


_from_environment()
