"""Latency histograms small enough to send between processes and merge.

Values are microseconds, counted in buckets about 2% wide (exact below 100 us), so a
percentile read from the merged buckets is within 2% of the exact one.
"""

from __future__ import annotations

import math
from collections import Counter

_EXACT = 100
_GROWTH = math.log(1.02)


def bucket(us: int) -> int:
    """The bucket of a value in microseconds."""
    if us < _EXACT:
        return max(us, 0)
    return _EXACT + int(math.log(us / _EXACT) / _GROWTH)


def bucket_value(index: int) -> float:
    """The value (microseconds) a bucket stands for: its middle."""
    if index < _EXACT:
        return float(index)
    return _EXACT * math.exp((index - _EXACT + 0.5) * _GROWTH)


class Histogram:
    """Counts of latencies, mergeable across worker processes."""

    def __init__(self, counts: dict[int, int] | None = None) -> None:
        self.counts: Counter[int] = Counter(counts or {})

    def add_ns(self, ns: int) -> None:
        self.counts[bucket(ns // 1000)] += 1

    def merge(self, other: Histogram) -> None:
        self.counts.update(other.counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def percentile_ms(self, fraction: float) -> float | None:
        """The value (ms) at or below which ``fraction`` of the samples fall."""
        total = self.total
        if total == 0:
            return None
        rank = max(1, math.ceil(total * fraction))
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                return round(bucket_value(index) / 1000, 2)
        return None

    def summary(self) -> dict[str, float | None]:
        """p50, p95 and p99 in milliseconds."""
        return {f"p{int(p * 100)}_ms": self.percentile_ms(p) for p in (0.5, 0.95, 0.99)}
