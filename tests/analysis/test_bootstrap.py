import numpy as np
import pandas as pd
import pytest

from xstilts.analysis.bootstrap import grouped_mean_ci, mean_ci


def accuracy(gold, pred):
    return 100.0 * np.mean([g == p for g, p in zip(gold, pred)])


def span_f1(gold, pred):
    """Corpus-level F1 over sets, a metric that is not a mean of per-example scores."""
    true_positive = sum(len(set(g) & set(p)) for g, p in zip(gold, pred))
    predicted, relevant = sum(len(p) for p in pred), sum(len(g) for g in gold)
    return 0.0 if not true_positive else 200.0 * true_positive / (predicted + relevant)


def test_mean_ci_covers_the_true_mean_and_narrows_with_n():
    rng = np.random.default_rng(3)
    small, large = mean_ci(rng.normal(2.0, 1.0, 20)), mean_ci(rng.normal(2.0, 1.0, 400))
    for estimate in (small, large):
        assert estimate.ci_low < 2.0 < estimate.ci_high
    assert (large.ci_high - large.ci_low) < 0.5 * (small.ci_high - small.ci_low)


def test_mean_ci_of_one_value_has_no_interval_and_nan_is_refused():
    single = mean_ci([3.0])
    assert single.value == 3.0 and np.isnan(single.ci_low) and single.n == 1
    with pytest.raises(ValueError, match="NaN"):
        mean_ci([1.0, np.nan])


def test_mean_ci_with_three_seeds_is_finite_and_inside_the_range():
    estimate = mean_ci([1.0, 2.0, 4.0])
    assert 1.0 <= estimate.ci_low <= estimate.value <= estimate.ci_high <= 4.0


def test_grouped_mean_ci_counts_missing_values():
    frame = pd.DataFrame({"group": ["a", "a", "a", "b", "b"], "value": [1.0, 3.0, np.nan, 5.0, 7.0]})
    table = grouped_mean_ci(frame, ["group"], "value").set_index("group")
    assert table.loc["a", "mean"] == 2.0 and table.loc["a", "n"] == 2 and table.loc["a", "n_missing"] == 1
    assert table.loc["b", "n_missing"] == 0
