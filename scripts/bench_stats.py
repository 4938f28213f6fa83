"""Pure statistics for the benchmark: percentiles and summaries of latency samples (no I/O, no numpy)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between ranks, as numpy's default does.

    NaN for no samples, so a run that got no answers shows up as such instead of as 0 ms."""
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p99: float
    mean: float
    max: float

    def row(self) -> str:
        return f"{fmt_ms(self.p50)} / {fmt_ms(self.p99)} (n={self.n})"


def summarize(values_ms: Sequence[float]) -> Summary:
    if not values_ms:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    return Summary(len(values_ms), percentile(values_ms, 50), percentile(values_ms, 99),
                   sum(values_ms) / len(values_ms), float(max(values_ms)))


def fmt_ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f} ms"


def verdict(ok: bool | None) -> str:
    """PASS/FAIL, or n/a when the figure could not be measured."""
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def at_most(value: float, limit: float) -> bool | None:
    return None if math.isnan(value) else value <= limit
