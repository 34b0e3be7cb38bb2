"""Path analytics: what callers do in each tree — outcomes, a funnel per node, the top paths —
from the steps the webhook server records with every answer, with no instrumentation.

Importing the package registers the fold that keeps the counters with the store
(:mod:`ivrkit.store._hooks`): the store's projector calls it inside the transaction that projects
a session's summary.

``Analytics(store)`` answers for a time window and filters; :func:`compare` sets two reports
side by side; :func:`rebuild` recomputes the counters from the raw rows. (Synthetic sessions for
tests and benchmarks are filled by ``bench/synthetic.py``, outside the package.)
"""

from __future__ import annotations

from ivrkit._outcomes import category
from ivrkit.analytics._compare import Comparison, Difference, NodeComparison, compare
from ivrkit.analytics._folding import COUNTERS
from ivrkit.analytics._model import (
    CATEGORIES,
    Bucket,
    Filters,
    Funnel,
    NodeStats,
    Overview,
    PathCount,
    Report,
    Window,
)
from ivrkit.analytics._queries import STALE_AFTER, Analytics
from ivrkit.analytics._rebuild import RebuildResult, rebuild
from ivrkit.store._hooks import register_counters

register_counters(COUNTERS)

__all__ = [
    "CATEGORIES",
    "STALE_AFTER",
    "Analytics",
    "Bucket",
    "Comparison",
    "Difference",
    "Filters",
    "Funnel",
    "NodeComparison",
    "NodeStats",
    "Overview",
    "PathCount",
    "RebuildResult",
    "Report",
    "Window",
    "category",
    "compare",
    "rebuild",
]
