"""The slots and histograms the counters are kept in.

Counters are kept per (flow, tree version, time slot of the session's start, see :data:`SPANS`).
Times spent are kept as log-scale histograms (:func:`bucket`): a median read from them is the
middle of the bucket that holds the true median, within 10 % of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

BASE_SECONDS = 0.25
"""Upper edge of bucket 0: times below it are one bucket."""
PER_DOUBLING = 4
"""Buckets per doubling of time: each bucket is 2^(1/4) (19 %) wide."""
LAST_BUCKET = 80
"""Bucket of everything from 0.25 * 2^(79/4) s (about 2.5 days) on."""
UNKNOWN_BUCKET = -1
"""The time is not known (no start or end time)."""

SPANS = (86_400, 3_600, 600, 60)
"""The spans (seconds) every counter is kept at: a day, an hour, 10 minutes, a minute. A window
is read from whole days, whole hours at its edges, whole 10 minutes at theirs, whole minutes at
theirs; what is left (less than a minute at each edge) is counted from raw rows."""


def bucket(seconds: float) -> int:
    """The histogram bucket of a duration (negative durations count as 0)."""
    if seconds < BASE_SECONDS:
        return 0
    return min(LAST_BUCKET, 1 + int(math.floor(math.log2(seconds / BASE_SECONDS) * PER_DOUBLING)))


def bucket_seconds(index: int) -> float:
    """The value a bucket stands for: its geometric middle (half of BASE_SECONDS for bucket 0)."""
    if index <= 0:
        return BASE_SECONDS / 2
    return BASE_SECONDS * 2 ** ((index - 0.5) / PER_DOUBLING)


def median_seconds(histogram: Mapping[int, int]) -> float | None:
    """The median of a histogram of buckets (the lower median), None when it is empty."""
    known = sorted((b, n) for b, n in histogram.items() if b != UNKNOWN_BUCKET and n > 0)
    total = sum(n for _, n in known)
    if total == 0:
        return None
    rank = (total + 1) // 2
    seen = 0
    for index, count in known:
        seen += count
        if seen >= rank:
            return round(bucket_seconds(index), 3)
    return None  # pragma: no cover - the loop always reaches the rank


def slot_of(moment: datetime, span: int) -> int:
    """The slot of a moment at a span: whole spans since the epoch (UTC)."""
    return math.floor(moment.timestamp() / span)
