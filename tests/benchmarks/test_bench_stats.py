"""Summaries, paired ratios, timing windows and targets of the benchmark figures."""

from __future__ import annotations

import pytest

from benchmarks.stats import FigureResult, Target, paired_ratios, rate_between, summarize
from benchmarks.timing import run_interleaved


def test_summarize_gives_median_min_max():
    spread = summarize([3.0, 1.0, 10.0, 2.0, 4.0])
    assert (spread.median, spread.low, spread.high) == (3.0, 1.0, 10.0)
    assert spread.samples == (3.0, 1.0, 10.0, 2.0, 4.0)


def test_summarize_even_count_takes_mean_of_middle_pair():
    assert summarize([1, 2, 4, 8]).median == 3.0


def test_summarize_refuses_no_samples():
    with pytest.raises(ValueError):
        summarize([])


def test_paired_ratios_divide_within_each_repetition():
    # A ratio of medians would be 4 / 2 = 2; per-repetition ratios are 1, 4 and 3.
    assert paired_ratios([2.0, 4.0, 6.0], [2.0, 1.0, 2.0]) == [1.0, 4.0, 3.0]


def test_paired_ratios_refuse_unpaired_or_empty_measurements():
    with pytest.raises(ValueError, match="unpaired"):
        paired_ratios([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="not positive"):
        paired_ratios([1.0], [0.0])


def test_rate_between_counts_the_steps_after_the_warmup_stamp():
    stamps = [10.0, 11.0, 13.0, 14.0]  # end of steps 1..4
    # Warm-up = step 1: the window is steps 2-4, from t=10 to t=14.
    assert rate_between(stamps, 0, 3, amount=96) == 24.0


@pytest.mark.parametrize("first,last", [(2, 2), (-1, 2), (0, 4)])
def test_rate_between_rejects_windows_outside_the_stamps(first, last):
    with pytest.raises(ValueError):
        rate_between([0.0, 1.0, 2.0, 3.0], first, last, amount=1)


def test_rate_between_rejects_a_clock_that_did_not_advance():
    with pytest.raises(ValueError, match="advance"):
        rate_between([5.0, 5.0], 0, 1, amount=1)


def test_targets_compare_in_their_direction():
    assert Target(">=", 1.5).met_by(1.5) and not Target(">=", 1.5).met_by(1.49)
    assert Target("<=", 0.05).met_by(0.05) and not Target("<=", 0.05).met_by(0.051)
    with pytest.raises(ValueError):
        Target("==", 1.0)


def _figure(median_samples, target):
    return FigureResult("f", summarize(median_samples), "x", target, "setup")


def test_verdict_is_judged_on_the_median_not_the_extremes():
    assert _figure([0.5, 2.0, 2.1], Target(">=", 1.5)).verdict == "pass"
    assert _figure([1.0, 1.2, 9.0], Target(">=", 1.5)).verdict == "fail"
    assert _figure([1.0], None).verdict == "info"


def test_run_interleaved_alternates_which_side_goes_first():
    calls = []
    runs = {"a": lambda: calls.append("a") or 1, "b": lambda: calls.append("b") or 2}
    assert run_interleaved(runs, 0) == {"a": 1, "b": 2}
    assert run_interleaved(runs, 1) == {"b": 2, "a": 1}
    assert calls == ["a", "b", "b", "a"]
