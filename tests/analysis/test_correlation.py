"""Known-truth checks of the correlation statistics (synthetic data with a set correlation)."""

import math

import numpy as np
import pandas as pd
import pytest

from xstilts.analysis.correlation import correlate, partial_correlation
from xstilts.analysis.efficiency import ALL_TASKS, PARTIAL, PARTIAL_LEVELS, RAW, throughput_gain_correlations
from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.analysis.gains import cell_gains, trial_gains

SEEDS = tuple(range(5))  # 2 tasks × 4 batch sizes × 3 learning rates × 5 seeds = 120 trials


def english_dev_gains(truth: SyntheticTruth, rng_seed: int = 0):
    frame = synthetic_results_frame(truth, seeds=SEEDS, rng_seed=rng_seed)
    gains = trial_gains(cell_gains(frame))
    return gains[gains["selection"] == "english_dev"]


def pick(table, analysis, method, measure="examples_per_s", scope=ALL_TASKS):
    rows = table[(table["scope"] == scope) & (table["measure"] == measure) & (table["analysis"] == analysis)
                 & (table["method"] == method)]
    assert len(rows) == 1
    return rows.iloc[0]


def contains(row, value):
    return row["ci_low"] <= value <= row["ci_high"]


def test_throughput_correlated_at_0_8_is_recovered():
    # gain = 0.8 z + 0.6 noise with z the (batch-independent) throughput variation: corr = 0.8.
    truth = SyntheticTruth(task_effects={"mnli": 1.0, "squad": 1.0}, gain_per_throughput_sd=0.8, gain_noise_sd=0.6,
                           throughput_per_log2_batch=0.0)
    table = throughput_gain_correlations(english_dev_gains(truth))
    pearson, spearman = pick(table, RAW, "pearson"), pick(table, RAW, "spearman")
    assert pearson["n"] == 120
    assert contains(pearson, 0.8) and pearson["ci_low"] > 0.5
    # Spearman's rho of a bivariate normal with r = 0.8 is 6/pi * asin(0.4).
    assert contains(spearman, 6 / math.pi * math.asin(0.4)) and spearman["ci_low"] > 0.5
    assert pearson["p_value"] < 0.01 and spearman["p_value"] < 0.01
    # Batch size explains none of it, so holding the settings fixed keeps the correlation.
    assert contains(pick(table, PARTIAL, "partial pearson"), 0.8)


def test_batch_size_confound_vanishes_in_the_partial_correlation():
    # Gains depend on batch size only; throughput = f(batch size) + noise.
    truth = SyntheticTruth(task_effects={"mnli": 1.0, "squad": 2.0}, gain_per_log2_batch=1.0, gain_noise_sd=1.0,
                           throughput_per_log2_batch=0.5, throughput_noise_sd=0.1)
    table = throughput_gain_correlations(english_dev_gains(truth))
    for method in ("pearson", "spearman"):
        raw = pick(table, RAW, method)
        assert raw["ci_low"] > 0.3 and raw["p_value"] < 0.01, raw.to_dict()
    for analysis in (PARTIAL, PARTIAL_LEVELS):
        partial = pick(table, analysis, "partial pearson")
        assert contains(partial, 0.0) and abs(partial["estimate"]) < 0.2, partial.to_dict()
        assert partial["p_value"] > 0.05


def test_a_seed_that_shifts_both_throughput_and_gain_is_held_fixed():
    # Each seed ran on a slower or faster machine and has a weaker or stronger baseline: all its
    # throughputs and gains move together, while within a seed speed and gain are unrelated.
    rng = np.random.default_rng(0)
    rows = []
    for seed, (speed, shift) in enumerate([(1.0, 0.0), (0.8, -1.0), (0.5, -2.0)]):
        for task in ("mnli", "squad"):
            for batch in (8, 16, 32):
                for lr in (1e-5, 3e-5, 1e-4):
                    for _ in range(2):
                        rows.append({"intermediate_task": task, "batch_size": batch, "learning_rate": lr, "seed": seed,
                                     "xtreme_gain": shift + rng.normal(0, 0.3),
                                     "examples_per_s": 40 * speed * np.exp(rng.normal(0, 0.05)),
                                     "real_tokens_per_s": 600.0, "device_hours": 0.01})
    table = throughput_gain_correlations(pd.DataFrame(rows), n_resamples=300)
    assert pick(table, RAW, "pearson")["estimate"] > 0.8  # the seeds alone make a strong raw link
    for analysis in (PARTIAL, PARTIAL_LEVELS):
        partial = pick(table, analysis, "partial pearson")
        assert partial["n"] == 108 and contains(partial, 0.0) and abs(partial["estimate"]) < 0.25, partial.to_dict()


def test_correlations_are_repeated_within_each_task():
    truth = SyntheticTruth(gain_per_throughput_sd=0.8, gain_noise_sd=0.6, throughput_per_log2_batch=0.0)
    table = throughput_gain_correlations(english_dev_gains(truth), n_resamples=300)
    assert set(table["scope"]) == {ALL_TASKS, "mnli", "squad"}
    assert pick(table, RAW, "pearson", scope="mnli")["n"] == 60
    assert len(table) == 3 * 3 * 4  # scopes × measures × (2 raw + 2 partial)


def test_device_hours_mirror_throughput():
    truth = SyntheticTruth(gain_per_throughput_sd=0.8, gain_noise_sd=0.6, throughput_per_log2_batch=0.0)
    table = throughput_gain_correlations(english_dev_gains(truth), n_resamples=300)
    assert pick(table, RAW, "spearman", measure="device_hours")["estimate"] == pytest.approx(
        -pick(table, RAW, "spearman")["estimate"])


def test_bootstrap_ci_coverage_is_near_nominal():
    """Over 40 independent samples with r = 0.5 the 95% CI should miss the truth rarely."""
    covered = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(80)
        y = 0.5 * x + math.sqrt(0.75) * rng.standard_normal(80)
        covered += contains(correlate(x, y, "pearson", n_resamples=500, rng=seed).__dict__, 0.5)
    assert covered >= 34  # expected 38; 33 or fewer has probability < 1% at 93% coverage


def test_partial_correlation_under_the_null_is_calibrated():
    """x and y share only a confounder: the partial CI should cover 0 and p should rarely be small."""
    covered, rejected = 0, 0
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        confounder = rng.standard_normal(60)
        x, y = confounder + 0.5 * rng.standard_normal(60), confounder + 0.5 * rng.standard_normal(60)
        result = partial_correlation(x, y, confounder, n_resamples=400, rng=seed)
        assert correlate(x, y, n_resamples=200, rng=seed).ci_low > 0.5  # the raw association is strong
        covered += contains(result.__dict__, 0.0)
        rejected += result.p_value < 0.05
    assert covered >= 25 and rejected <= 5


def test_correlation_of_a_constant_is_undefined_not_a_crash():
    result = correlate(np.ones(10), np.arange(10.0))
    assert math.isnan(result.estimate) and result.n == 10


def test_partial_correlation_matches_the_closed_form_for_one_control():
    rng = np.random.default_rng(7)
    z = rng.standard_normal(200)
    x = z + rng.standard_normal(200)
    y = 0.5 * z + 0.3 * x + rng.standard_normal(200)
    r = np.corrcoef([x, y, z])
    closed_form = (r[0, 1] - r[0, 2] * r[1, 2]) / math.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2))
    result = partial_correlation(x, y, z, n_resamples=300)
    assert result.estimate == pytest.approx(closed_form)
    assert result.ci_low < closed_form < result.ci_high


def test_throughput_repeatability_golden_numbers():
    import pandas as pd

    from xstilts.analysis.efficiency import throughput_repeatability

    rows = [("sst2", 8, 1e-5, 10.0), ("sst2", 8, 1e-5, 12.0), ("sst2", 16, 1e-5, 20.0), ("sst2", 16, 1e-5, 20.0),
            ("sst2", 32, 1e-5, 30.0)]  # the last setting has one seed: left out
    trials = pd.DataFrame(rows, columns=["intermediate_task", "batch_size", "learning_rate", "examples_per_s"])
    trials["target_settings"] = "default"
    spread = throughput_repeatability(trials)
    # CVs: sd([10, 12]) / 11 = 1.41421 / 11 = 0.128565 and 0; median 0.0642824.
    assert spread.n_settings == 2
    assert spread.median_cv == pytest.approx(0.0642824, rel=1e-5)
    assert spread.max_ratio == pytest.approx(1.2)
    assert throughput_repeatability(trials.iloc[[0, 2, 4]]) is None
