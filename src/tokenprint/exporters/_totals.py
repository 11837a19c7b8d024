"""Running totals per label set, for the exporters that publish sums (Prometheus's collector,
OpenTelemetry's observable counters): one dictionary update per request instead of one
instrument call per number, read when the metrics are collected.

A label set is a :data:`Key` (sorted name/value pairs). Each table holds at most
``max_series`` of them; past that, new label sets are summed into one overflow key (and a
warning is logged once), so memory stays bounded whatever the labels.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from tokenprint.impacts.results import CRITERIA

__all__ = ["Key", "Series", "Table"]

logger = logging.getLogger("tokenprint")

Key = tuple[tuple[str, str], ...]
T = TypeVar("T")


class Series:
    """One label set's totals: requests, unestimated requests, the tokens of the estimated
    ones (the SCI's per-token unit), and per criterion the sums of the best estimates, low
    and high bounds and the count of requests estimated (``[best, min, max, n]``) and, when
    buckets are given, a histogram of the best estimates (last slot: above every bound)."""

    __slots__ = ("buckets", "counts", "requests", "sums", "tokens", "unestimated")

    def __init__(self, buckets: Mapping[str, tuple[float, ...]] | None = None) -> None:
        self.buckets = buckets
        self.requests = 0
        self.unestimated = 0
        self.tokens = 0
        self.sums = {c: [0.0, 0.0, 0.0, 0] for c in CRITERIA}
        self.counts = {c: [0] * (len(buckets[c]) + 1) for c in CRITERIA} if buckets else {}

    def add(self, values: Mapping[str, tuple[float, float, float]], tokens: int = 0) -> None:
        """Count one request; ``values``: ``{criterion: (min, best, max)}``, empty if
        unestimated; ``tokens``: its input and output tokens."""
        self.requests += 1
        if not values:
            self.unestimated += 1
            return
        self.tokens += tokens
        for name, (lo, central, hi) in values.items():
            sums = self.sums[name]
            sums[0] += central
            sums[1] += lo
            sums[2] += hi
            sums[3] += 1
            if self.buckets:
                self.counts[name][bisect.bisect_left(self.buckets[name], central)] += 1

    def copy(self) -> Series:
        out = Series.__new__(Series)
        out.buckets = self.buckets
        out.requests, out.unestimated, out.tokens = self.requests, self.unestimated, self.tokens
        out.sums = {c: list(v) for c, v in self.sums.items()}
        out.counts = {c: list(v) for c, v in self.counts.items()}
        return out


class Table(Generic[T]):
    """Rows by label set, at most ``max_series`` of them (then ``overflow``)."""

    def __init__(self, factory: Callable[[], T], max_series: int, overflow: Key, what: str) -> None:
        self.factory = factory
        self.max_series = max_series
        self.overflow = overflow
        self.what = what
        self.lock = threading.Lock()
        self.rows: dict[Key, T] = {}
        self._warned = False

    def row(self, key: Key) -> T:
        """The row of ``key``, created if needed (the caller holds :attr:`lock`)."""
        row = self.rows.get(key)
        if row is None:
            if len(self.rows) >= self.max_series:
                key = self.overflow
                if not self._warned:
                    self._warned = True
                    logger.warning(
                        "tokenprint: the %s holds %d label sets; new ones are summed into %s "
                        "(export fewer labels)",
                        self.what,
                        self.max_series,
                        dict(self.overflow),
                    )
                row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = self.factory()
        return row
