import numpy as np
import pandas as pd
import pytest

from xstilts.analysis.bootstrap import grouped_mean_ci, mean_ci, paired_bootstrap


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


def test_paired_bootstrap_finds_a_real_difference():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 400).tolist()
    pred_a = [g if rng.random() < 0.6 else (g + 1) % 3 for g in gold]
    pred_b = [g if rng.random() < 0.8 else (g + 1) % 3 for g in gold]
    result = paired_bootstrap(gold, pred_a, pred_b, accuracy, n_resamples=500)
    assert result.delta == pytest.approx(accuracy(gold, pred_b) - accuracy(gold, pred_a))
    assert result.ci_low > 0 and result.ci_low < result.delta < result.ci_high
    assert result.p_value < 0.01


def test_paired_bootstrap_of_identical_systems_is_null():
    gold = [[1, 2], [3], [4, 5, 6], [7]] * 10
    pred = [[1], [3], [4, 6], [8]] * 10
    result = paired_bootstrap(gold, pred, pred, span_f1, n_resamples=200)
    assert result.delta == 0 and result.ci_low == 0 and result.ci_high == 0
    assert result.p_value == 1.0


def test_paired_bootstrap_works_with_a_corpus_level_metric():
    gold = [[1, 2], [3], [4, 5, 6], [7]] * 15
    worse = [[1], [9], [4], [8]] * 15
    better = [[1, 2], [3], [4, 5], [7]] * 15
    result = paired_bootstrap(gold, worse, better, span_f1, n_resamples=300)
    assert result.score_b > result.score_a and result.ci_low > 0 and result.p_value < 0.05


def test_paired_bootstrap_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        paired_bootstrap([1, 2], [1, 2], [1], accuracy)
