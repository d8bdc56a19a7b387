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
    result = setting_correlation(trials, "examples_per_s", n_resamples=200)
    reference = stats.pearsonr(means["examples_per_s"], means["xtreme_gain"])
    assert result["estimate"] == pytest.approx(reference.statistic)
    assert result["p_value"] == pytest.approx(reference.pvalue)
    assert (result["n_settings"], result["n_seeds"]) == (4, 4)
    assert result["ci_low"] <= result["estimate"] <= result["ci_high"]


def test_one_seed_gives_no_seed_level_interval():
    result = setting_correlation(settings_frame(n_seeds=1), "examples_per_s", n_resamples=50)
    assert np.isfinite(result["estimate"]) and np.isnan(result["ci_low"])


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
