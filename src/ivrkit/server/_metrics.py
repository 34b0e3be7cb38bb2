"""The webhook server's Prometheus metrics (``GET /metrics``), in one process or aggregated over
several worker processes that share a metrics directory (prometheus-client's multi-process mode).

Label values come from small known sets (anything else is counted as ``other``), so a stranger
posting odd channels or event types cannot grow the number of series. Each label combination's
child is created once and kept in a dict: counting a delivery costs a dict lookup and an increment.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import values as prometheus_values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from ivrkit.errors import ConfigError
from ivrkit.wire import EventType, SessionStatus

log = logging.getLogger("ivrkit.server")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST

CHANNELS = frozenset({"vca", "vss", "vcs", "vru", "vnu"})
EVENT_TYPES = frozenset(EventType.__members__)
SESSION_STATUSES = frozenset(SessionStatus.__members__)
OTHER = "other"
NONE = "none"
MAX_SERIES = 2000
"""Most label combinations of one metric; past it new ones are counted under ``other``."""

ANSWER_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
COMMIT_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def prepare_metrics_dir(path: Path) -> Path:
    """The parent process's step before it starts workers: create ``path``, delete the metric
    files a previous run left there, and export it as ``PROMETHEUS_MULTIPROC_DIR`` so that every
    worker started afterwards writes its metrics there (``ivrkit serve --workers N`` does this).
    Never call it in a worker: it would delete the other workers' counts."""
    path = _usable(path)
    try:
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot empty the metrics directory {path}: {exc}") from exc
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def use_metrics_dir(path: Path) -> Path:
    """A worker's step: write this process's metrics to ``path`` (created when missing).

    prometheus-client chooses where metric values live when it is first imported, from
    ``PROMETHEUS_MULTIPROC_DIR``; a process that imported it before the variable was set would
    keep its counts in memory, invisible to the other workers. So the variable is set, and the
    value class switched to the shared-file one when it is not already."""
    path = _usable(path)
    os.environ[MULTIPROC_ENV] = str(path)
    if not getattr(prometheus_values.ValueClass, "_multiprocess", False):
        prometheus_values.ValueClass = prometheus_values.MultiProcessValue()  # type: ignore[no-untyped-call]
    return path


def _usable(path: Path) -> Path:
    path = path.expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use {path} as the metrics directory: {exc}") from exc
    return path


def forget_worker(pid: int, path: Path | None = None) -> None:
    """Drop the live gauges of a worker that has exited (its counters stay counted)."""
    mark_process_dead(pid, str(path) if path is not None else None)  # type: ignore[no-untyped-call]


class _Children(dict[Hashable, Any]):
    """A metric's children by label values, created on first use."""

    def __init__(self, metric: Any, limit: int = MAX_SERIES) -> None:
        super().__init__()
        self._metric = metric
        self._limit = limit

    def __missing__(self, key: Hashable) -> Any:
        labels = key if isinstance(key, tuple) else (key,)
        if len(self) >= self._limit:
            labels = (OTHER,) * len(labels)
        child = self._metric.labels(*labels)
        self[key] = child
        return child


class ServerMetrics:
    """The metrics of one webhook server (see the README's "Observability" for the list).

    With ``metrics_dir`` (or ``PROMETHEUS_MULTIPROC_DIR`` set), this process writes its metrics
    to that directory and :meth:`render` aggregates every process that writes there. There, keep
    one per process: two in one process would share, and overwrite, one set of values.
    """

    def __init__(self, metrics_dir: Path | None = None) -> None:
        given = metrics_dir or os.environ.get(MULTIPROC_ENV)
        self.metrics_dir = use_metrics_dir(Path(given)) if given else None
        # In multi-process mode the scrape reads the shared files, not a registry.
        self.registry = CollectorRegistry() if self.metrics_dir is None else None
        registry = self.registry
        self.deliveries = Counter(
            "ivrkit_deliveries",
            "Webhook deliveries answered, by channel, event type, outcome and HTTP status.",
            ["channel", "event_type", "outcome", "status"],
            registry=registry,
        )
        self.answer_seconds = Histogram(
            "ivrkit_answer_seconds",
            "Seconds from the start of a webhook request to its answer (the commit included).",
            ["channel"],
            buckets=ANSWER_BUCKETS,
            registry=registry,
        )
        self.summaries = Counter(
            "ivrkit_summaries",
            "Session summaries kept, by session status.",
            ["session_status"],
            registry=registry,
        )
        self.node_visits = Counter(
            "ivrkit_node_visits",
            "CALL_ACTIONs answered from each node of each tree (a repeated eventId not counted).",
            ["tree", "node"],
            registry=registry,
        )
        self.commit_batch_size = Histogram(
            "ivrkit_commit_batch_size",
            "Deliveries committed in one transaction of the committer.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.commit_seconds = Histogram(
            "ivrkit_commit_seconds",
            "Seconds one transaction of the committer took.",
            buckets=COMMIT_BUCKETS,
            registry=registry,
        )
        self.queue_depth = Gauge(
            "ivrkit_commit_queue_depth",
            "Deliveries waiting for the committer (summed over live workers).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.failing = False
        """True once recording a metric has failed (logged once)."""
        self._deliveries = _Children(self.deliveries)
        self._answer_seconds = _Children(self.answer_seconds)
        self._summaries = _Children(self.summaries)
        self._node_visits = _Children(self.node_visits)

    # -- what the server calls ------------------------------------------------------------------
    # Counting must never cost an answer or stop the committer thread: in multi-process mode an
    # increment writes to a file, which can fail (a full disk). Such a failure is logged once.

    def delivery(
        self, channel: str, event_type: str, outcome: str, status: int, seconds: float
    ) -> None:
        """One answered delivery (labels as :func:`channel_label` and :func:`event_type_label`
        make them)."""
        try:
            self._deliveries[(channel, event_type, outcome, status)].inc()
            self._answer_seconds[channel].observe(seconds)
        except Exception as exc:  # noqa: BLE001 - see above
            self._failed(exc)

    def summary(self, session_status: str) -> None:
        status = session_status if session_status in SESSION_STATUSES else OTHER
        try:
            self._summaries[status].inc()
        except Exception as exc:  # noqa: BLE001 - see above
            self._failed(exc)

    def node_visit(self, tree: str, node: str) -> None:
        try:
            self._node_visits[(tree, node)].inc()
        except Exception as exc:  # noqa: BLE001 - see above
            self._failed(exc)

    def commit(self, size: int, seconds: float) -> None:
        """One transaction of the committer thread."""
        try:
            self.commit_batch_size.observe(size)
            self.commit_seconds.observe(seconds)
        except Exception as exc:  # noqa: BLE001 - see above
            self._failed(exc)

    def queued(self, depth: int) -> None:
        try:
            self.queue_depth.set(depth)
        except Exception as exc:  # noqa: BLE001 - see above
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if not self.failing:
            self.failing = True
            log.error("metrics cannot be recorded (%s); the server goes on without them", exc)

    # -- the scrape -----------------------------------------------------------------------------

    def render(self) -> bytes:
        """The metrics in Prometheus's text format (of every worker in multi-process mode)."""
        if self.metrics_dir is None:
            assert self.registry is not None
            return prometheus_client.generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(self.metrics_dir))  # type: ignore[no-untyped-call]
        return prometheus_client.generate_latest(registry)


def channel_label(channel: str) -> str:
    return channel if channel in CHANNELS else OTHER


def event_type_label(event_type: str | None) -> str:
    if event_type is None:
        return NONE
    return event_type if event_type in EVENT_TYPES else OTHER


__all__ = [
    "CONTENT_TYPE",
    "MULTIPROC_ENV",
    "ServerMetrics",
    "channel_label",
    "event_type_label",
    "forget_worker",
    "prepare_metrics_dir",
    "use_metrics_dir",
]
