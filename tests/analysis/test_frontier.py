"""Throughput across settings, gain per device-hour and the efficiency frontier."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from xstilts.analysis.frontier import setting_correlation, setting_efficiency


def settings_frame(n_seeds: int = 4) -> pd.DataFrame:
    """Four settings x seeds: gains rise with throughput; each seed shifts all its gains."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(n_seeds):
        shift = rng.normal(0, 0.3)
        for batch, rate, hours, gain in ((8, 10.0, 4.0, 1.0), (16, 20.0, 2.0, 2.0), (32, 40.0, 1.0, 1.5),
                                         (64, 80.0, 0.5, 0.5)):
            rows.append({"arm": "fixed epochs", "intermediate_task": "a", "batch_size": batch, "learning_rate": 1e-5,
                         "target_settings": "default", "seed": seed, "examples_per_s": rate * (1 + 0.01 * seed),
                         "device_hours": hours, "xtreme_gain": gain + shift})
    return pd.DataFrame(rows)


def test_setting_correlation_uses_setting_means_and_n_settings():
    trials = settings_frame()
    means = trials.groupby("batch_size")[["examples_per_s", "xtreme_gain"]].mean()
    result = setting_correlation(trials, "examples_per_s")
    reference = stats.pearsonr(means["examples_per_s"], means["xtreme_gain"])
    assert result["estimate"] == pytest.approx(reference.statistic)
    assert result["p_value"] == pytest.approx(reference.pvalue)
    assert (result["n_settings"], result["n_seeds"]) == (4, 4)
    interval = reference.confidence_interval(0.95)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((interval.low, interval.high))
    assert result["ci_low"] <= result["estimate"] <= result["ci_high"]


def test_one_seed_gives_no_interval():
    result = setting_correlation(settings_frame(n_seeds=1), "examples_per_s")
    assert np.isfinite(result["estimate"]) and np.isnan(result["ci_low"])


def simulated_study(rng: np.random.Generator, rho: float, n_settings: int = 24, n_seeds: int = 5) -> pd.DataFrame:
    """Settings whose throughput and expected gain correlate with ``rho`` in the population of
    settings; every seed shifts all its gains (its own baseline) and scales all its throughputs (a
    slow or fast day), by far more than the trial noise left in a setting mean."""
    throughput, gain = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], n_settings).T
    rows = []
    for seed in range(n_seeds):
        shift, day = rng.normal(0, 2.0), rng.lognormal(0, 0.3)
        rows += [{"arm": "fixed epochs", "intermediate_task": f"t{s}", "batch_size": 8, "learning_rate": 1e-5,
                  "target_settings": "default", "seed": seed, "examples_per_s": (20 + 3 * throughput[s]) * day,
                  "xtreme_gain": gain[s] + shift + rng.normal(0, 0.2)} for s in range(n_settings)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_setting_correlation_interval_has_nominal_coverage_with_shared_seed_effects(rho):
    # Known truth: 500 simulated studies with strong seed-shared effects (what a shared baseline and
    # a slow day do). The 95 % interval must hold the population r in 90-100 % of them. The seed
    # bootstrap this replaced held it in 1-82 % of such studies (docs/notes.md, sixth session).
    rng = np.random.default_rng(7)
    results = [setting_correlation(simulated_study(rng, rho), "examples_per_s") for _ in range(500)]
    covered = np.mean([r["ci_low"] <= rho <= r["ci_high"] for r in results])
    assert 0.90 <= covered <= 1.00
    assert all(r["n_settings"] == 24 and r["n_seeds"] == 5 for r in results)
    if rho == 0.0:  # the t test's false positives stay at its level: the seed effects cancel in r
        assert np.mean([r["p_value"] < 0.05 for r in results]) <= 0.08


def test_frontier_keeps_only_settings_that_beat_every_cheaper_one():
    table = setting_efficiency(settings_frame()).set_index("batch_size")
    # Cheapest first: batch 64 (0.5 h), 32 (1 h) gains more, 16 (2 h) more again, 8 (4 h) less.
    assert table["on_frontier"].to_dict() == {64: True, 32: True, 16: True, 8: False}
    assert table.loc[16, "gain_per_device_hour"] == pytest.approx(table.loc[16, "mean_gain"] / 2.0)


def test_the_frontier_starts_at_the_baseline_so_a_cheap_loss_is_never_on_it():
    trials = settings_frame()
    # The cheapest setting (batch 64, 0.5 h) now loses 1 point on every seed: skipping the
    # intermediate phase (0 h, gain 0) beats it, so it is off the frontier and fits no budget.
    trials.loc[trials["batch_size"] == 64, "xtreme_gain"] = -1.0
    table = setting_efficiency(trials).set_index("batch_size")
    assert table["on_frontier"].to_dict() == {64: False, 32: True, 16: True, 8: False}
    trials["xtreme_gain"] = -0.5
    assert not setting_efficiency(trials)["on_frontier"].any()
