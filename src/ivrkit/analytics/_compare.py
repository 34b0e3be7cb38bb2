"""Two reports side by side (two time ranges, or two tree versions) with their differences."""

from __future__ import annotations

from dataclasses import dataclass

from ivrkit.analytics._model import NodeStats, Report


@dataclass(frozen=True)
class Difference:
    """One number before and after."""

    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def relative(self) -> float | None:
        """The change as a fraction of ``before`` (None when ``before`` is 0)."""
        return self.change / self.before if self.before else None


@dataclass(frozen=True)
class NodeComparison:
    node: str
    before: NodeStats | None
    after: NodeStats | None
    reached: Difference
    dropped: Difference
    drop_rate: Difference
    """Dropped over reached (0 when not reached)."""
    median_seconds: Difference | None
    """None unless both sides have a median."""


@dataclass(frozen=True)
class Comparison:
    before: Report
    after: Report
    counts: dict[str, Difference]
    """sessions, contained, transferred, abandoned, failed, in_progress."""
    rates: dict[str, Difference]
    """containment, transfer, abandon (fractions of ended sessions)."""
    outcomes: dict[str, Difference]
    nodes: dict[str, NodeComparison]
    """Every node either side knows (empty when a side has no funnel)."""


COUNTS = ("sessions", "contained", "transferred", "abandoned", "failed", "in_progress")


def compare(before: Report, after: Report) -> Comparison:
    """``after`` against ``before``: every count, rate, outcome and node."""
    old, new = before.overview, after.overview
    counts = {name: Difference(getattr(old, name), getattr(new, name)) for name in COUNTS}
    rates = {
        "containment": Difference(old.containment_rate, new.containment_rate),
        "transfer": Difference(old.transfer_rate, new.transfer_rate),
        "abandon": Difference(old.abandon_rate, new.abandon_rate),
    }
    outcomes = {
        name: Difference(old.outcomes.get(name, 0), new.outcomes.get(name, 0))
        for name in sorted({*old.outcomes, *new.outcomes})
    }
    nodes: dict[str, NodeComparison] = {}
    if before.funnel is not None or after.funnel is not None:
        first = before.funnel.nodes if before.funnel is not None else {}
        second = after.funnel.nodes if after.funnel is not None else {}
        for name in sorted({*first, *second}):
            nodes[name] = _node(name, first.get(name), second.get(name))
    return Comparison(
        before=before, after=after, counts=counts, rates=rates, outcomes=outcomes, nodes=nodes
    )


def _node(name: str, before: NodeStats | None, after: NodeStats | None) -> NodeComparison:
    def reached(stats: NodeStats | None) -> int:
        return stats.reached if stats is not None else 0

    def dropped(stats: NodeStats | None) -> int:
        return stats.dropped if stats is not None else 0

    def rate(stats: NodeStats | None) -> float:
        return dropped(stats) / reached(stats) if reached(stats) else 0.0

    medians = None
    if before is not None and after is not None:
        if before.median_seconds is not None and after.median_seconds is not None:
            medians = Difference(before.median_seconds, after.median_seconds)
    return NodeComparison(
        node=name,
        before=before,
        after=after,
        reached=Difference(reached(before), reached(after)),
        dropped=Difference(dropped(before), dropped(after)),
        drop_rate=Difference(rate(before), rate(after)),
        median_seconds=medians,
    )
