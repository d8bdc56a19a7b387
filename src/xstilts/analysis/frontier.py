"""Throughput against gain where the question has content: across settings, and per device-hour.

At fixed settings and seed, what is left of throughput is machine load, which cannot change the
model; so the question is asked across settings: each setting's mean throughput against its
mean XTREME gain (n = settings). Throughput across settings is mostly batch size, so this
correlation is confounded with batch size by construction and says so. Its uncertainty comes
from the seeds: whole seeds (every trial of a seed, whose gains share that seed's baseline) are
resampled with replacement, the setting means recomputed and the correlation with them.

The efficiency frontier answers the practical question: within a budget of intermediate
device-hours, which setting gives the best mean gain. It starts at the baseline: no intermediate
phase costs no intermediate device-hours and gains 0 by definition, so a setting whose mean gain
is not above 0 is never the best use of a budget, however cheap it is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from xstilts.analysis.bootstrap import CONFIDENCE, DEFAULT_RESAMPLES
from xstilts.analysis.correlation import pearson
from xstilts.analysis.seeds import seed_table

# The frontier's origin: no intermediate phase, 0 intermediate device-hours, gain 0 (gains are
# differences to that baseline).
BASELINE_GAIN = 0.0
SETTING_KEYS = ["arm", "intermediate_task", "batch_size", "learning_rate", "target_settings"]
SETTING_CORRELATION_COLUMNS = ["arm", "measure", "estimate", "ci_low", "ci_high", "p_value", "n_settings", "n_seeds"]


def _seed_matrix(trials: pd.DataFrame, value: str) -> pd.DataFrame:
    """Settings × seeds: the mean of ``value`` (NaN where a setting has no trial of that seed)."""
    return trials.pivot_table(index=SETTING_KEYS, columns="seed", values=value, aggfunc="mean", dropna=False)


def _setting_means(x: np.ndarray, gain: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means over seeds (weights: times each seed was drawn); NaN cells weigh nothing."""
    present = np.isfinite(x) & np.isfinite(gain)
    w = np.where(present, weights, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.nansum(np.where(present, x, 0) * w, axis=1) / w.sum(axis=1),
                np.nansum(np.where(present, gain, 0) * w, axis=1) / w.sum(axis=1))


def _seed_bootstrap_r(x: np.ndarray, gain: np.ndarray, n_resamples: int, rng) -> tuple[float, float]:
    """Percentile CI of the settings-level Pearson r with whole seeds resampled."""
    generator = np.random.default_rng(rng)
    n_seeds = x.shape[1]
    estimates = []
    for _ in range(n_resamples):
        weights = np.bincount(generator.integers(0, n_seeds, n_seeds), minlength=n_seeds).astype(float)
        mx, mg = _setting_means(x, gain, weights)
        keep = np.isfinite(mx) & np.isfinite(mg)
        if keep.sum() >= 3:
            estimates.append(pearson(mx[keep], mg[keep]))
    estimates = np.asarray(estimates, dtype=float)
    estimates = estimates[np.isfinite(estimates)]
    if len(estimates) < n_resamples / 2:
        return math.nan, math.nan
    tail = (1 - CONFIDENCE) / 2 * 100
    return float(np.percentile(estimates, tail)), float(np.percentile(estimates, 100 - tail))


def setting_correlation(trials: pd.DataFrame, measure: str, *, n_resamples: int = DEFAULT_RESAMPLES,
                        rng=0) -> dict:
    """Pearson r of setting-mean ``measure`` with setting-mean XTREME gain; p from the t test on
    n = settings; CI from resampling whole seeds (NaN with one seed or fewer than 4 settings)."""
    usable = trials[np.isfinite(trials[measure]) & (trials[measure] > 0) & np.isfinite(trials["xtreme_gain"])]
    x, gain = _seed_matrix(usable, measure).to_numpy(float), _seed_matrix(usable, "xtreme_gain").to_numpy(float)
    n_seeds = int(usable["seed"].nunique())
    mx, mg = _setting_means(x, gain, np.ones(x.shape[1]))
    keep = np.isfinite(mx) & np.isfinite(mg)
    result = {"measure": measure, "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
              "p_value": math.nan, "n_settings": int(keep.sum()), "n_seeds": n_seeds}
    if keep.sum() < 4 or np.ptp(mx[keep]) == 0 or np.ptp(mg[keep]) == 0:
        return result
    test = stats.pearsonr(mx[keep], mg[keep])
    result.update(estimate=float(test.statistic), p_value=float(test.pvalue))
    if n_seeds >= 2:
        result["ci_low"], result["ci_high"] = _seed_bootstrap_r(x, gain, n_resamples, rng)
    return result


def setting_correlations(trials: pd.DataFrame, measures: tuple[str, ...], *, n_resamples: int = DEFAULT_RESAMPLES,
                         rng=0) -> pd.DataFrame:
    """``setting_correlation`` for every arm and measure present."""
    records = [{"arm": arm, **setting_correlation(rows, measure, n_resamples=n_resamples, rng=rng)}
               for arm, rows in trials.groupby("arm", sort=True) for measure in measures
               if measure in rows and np.isfinite(rows[measure].to_numpy(float)).any()]
    return pd.DataFrame(records, columns=SETTING_CORRELATION_COLUMNS)


def setting_efficiency(trials: pd.DataFrame) -> pd.DataFrame:
    """Per setting: mean XTREME gain (t CI over seeds), mean examples/s and intermediate
    device-hours, gain per device-hour, and whether it is on the efficiency frontier."""
    usable = trials[np.isfinite(trials["xtreme_gain"])]
    if usable.empty:
        return pd.DataFrame(columns=[*SETTING_KEYS, "mean_gain", "ci_low", "ci_high", "n_seeds", "examples_per_s",
                                     "device_hours", "gain_per_device_hour", "on_frontier"])
    gains = seed_table(usable, SETTING_KEYS, "xtreme_gain").rename(columns={"mean": "mean_gain"})
    costs = usable.groupby(SETTING_KEYS, dropna=False).agg(examples_per_s=("examples_per_s", "mean"),
                                                           device_hours=("device_hours", "mean")).reset_index()
    table = gains.merge(costs, on=SETTING_KEYS, how="left")
    table["gain_per_device_hour"] = table["mean_gain"] / table["device_hours"]
    table = table.sort_values(["device_hours", "mean_gain"], ascending=[True, False], na_position="last")
    best_so_far = table["mean_gain"].cummax().shift(fill_value=BASELINE_GAIN).clip(lower=BASELINE_GAIN)
    table["on_frontier"] = np.isfinite(table["device_hours"]) & (table["mean_gain"] > best_so_far)
    return table.reset_index(drop=True)

