"""What path analytics answers: time windows, filters, and the frozen records of a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ivrkit._outcomes import CATEGORIES
from ivrkit.errors import AnalyticsError

__all__ = [
    "CATEGORIES",
    "Bucket",
    "Filters",
    "Funnel",
    "NodeStats",
    "Overview",
    "PathCount",
    "Report",
    "Window",
]


@dataclass(frozen=True)
class Window:
    """A half-open UTC time range ``[since, until)``."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise AnalyticsError("a window's times must be aware (UTC)")
        if self.until < self.since:
            raise AnalyticsError(f"a window ends ({self.until}) before it starts ({self.since})")

    @classmethod
    def last(cls, text: str, *, now: datetime) -> Window:
        """The window from ``text`` (``"7d"``, ``"24h"``, ``"2w"``, ``"today"``, an ISO time) to
        ``now``, read by :func:`ivrkit.analytics._ranges.window` as the CLI and dashboard
        read it."""
        from ivrkit.analytics._ranges import window

        return window(text, None, now=now)

    @property
    def hourly(self) -> bool:
        """Whether its series is by hour (48 h or less) rather than by day."""
        return self.until - self.since <= timedelta(hours=48)

    def __contains__(self, moment: datetime) -> bool:
        return self.since <= moment < self.until


@dataclass(frozen=True)
class Filters:
    flow: str | None = None
    """Tree name."""
    version: str | None = None
    """Tree version (``Tree.version``, 10 hex digits)."""
    campaign: str | None = None
    """Campaign name (``ivrkit_campaigns.name``)."""
    customer: str | None = None
    """Caller/callee number, E.164 or digits."""

    @property
    def needs_raw_rows(self) -> bool:
        """Whether the counters cannot answer (they know flows and versions, not people)."""
        return self.campaign is not None or self.customer is not None


@dataclass(frozen=True)
class Bucket:
    start: datetime
    sessions: int
    contained: int
    transferred: int
    abandoned: int
    failed: int
    in_progress: int = 0


@dataclass(frozen=True)
class Overview:
    window: Window
    filters: Filters
    sessions: int
    """Sessions started in the window."""
    contained: int
    transferred: int
    abandoned: int
    failed: int
    in_progress: int
    outcomes: dict[str, int]
    """By outcome label or derived outcome (:mod:`ivrkit._outcomes`); in progress not included."""
    series: list[Bucket]
    """By hour for windows of 48 h or less, else by day (UTC); empty buckets included."""

    @property
    def ended(self) -> int:
        return self.contained + self.transferred + self.abandoned + self.failed

    @property
    def containment_rate(self) -> float:
        return self.contained / self.ended if self.ended else 0.0

    @property
    def transfer_rate(self) -> float:
        return self.transferred / self.ended if self.ended else 0.0

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.ended if self.ended else 0.0

    @property
    def failure_rate(self) -> float:
        return self.failed / self.ended if self.ended else 0.0


@dataclass(frozen=True)
class NodeStats:
    node: str
    reached: int
    """Sessions that reached it (a session counted once per node)."""
    visits: int
    """Times it was reached (replays included)."""
    keys: dict[str, int]
    """Each menu key pressed that had a route."""
    invalid: int
    no_input: int
    retries: int
    """Replays of the node (after an invalid entry or a silence)."""
    retries_exhausted: int
    dropped: int
    """Sessions whose caller hung up while at this node (abandoned here)."""
    next: dict[str, int]
    """Node -> transitions; ``(end)`` when the call ended there."""
    median_seconds: float | None
    """Median time spent at the node per visit, from log-scale buckets (within 10 %): from the
    answer that brought the caller there to the next event, or to the end of the call. Nodes
    the caller passes through without waiting have none."""
    routes: dict[str, int] = field(default_factory=dict)
    """Every route taken from the node, by kind (key, invalid, case, result, ...)."""


@dataclass(frozen=True)
class Funnel:
    flow: str
    window: Window
    filters: Filters
    nodes: dict[str, NodeStats]


@dataclass(frozen=True)
class PathCount:
    nodes: tuple[str, ...]
    """The nodes visited in order (a node replayed is listed once)."""
    sessions: int
    outcome: str | None
    median_seconds_to_outcome: float | None
    """From the start of the call to the answer that reached its outcome label (to the end of
    the call for a derived outcome), from log-scale buckets (within 10 %)."""


@dataclass(frozen=True)
class Report:
    overview: Overview
    funnel: Funnel | None
    paths: list[PathCount]
