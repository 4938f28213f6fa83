from __future__ import annotations

import math

import pytest

from scripts.bench_stats import at_most, percentile, summarize, verdict


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)


def test_percentile_ignores_input_order() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


def test_percentile_of_nothing_is_nan_and_bad_q_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summary_of_no_samples_reads_as_not_measured() -> None:
    empty = summarize([])
    assert empty.n == 0 and math.isnan(empty.p99)
    assert verdict(at_most(empty.p99, 100)) == "n/a"


def test_summary_and_verdicts() -> None:
    s = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (s.n, s.p50, s.mean, s.max) == (5, 3.0, 22.0, 100.0)
    assert verdict(at_most(s.p50, 3.0)) == "PASS"
    assert verdict(at_most(s.p99, 50.0)) == "FAIL"
