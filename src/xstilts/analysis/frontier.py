"""Throughput against gain where the question has content: across settings, and per device-hour.

At fixed settings and seed, what is left of throughput is machine load, which cannot change the
model; so the question is asked across settings: each setting's mean throughput against its
mean XTREME gain (n = settings). Throughput across settings is mostly batch size, so this
correlation is confounded with batch size by construction and says so. Its p is the t test and
its interval Fisher's z, both on n = settings (scipy's ``pearsonr``), so they agree (up to Fisher's normal
approximation at the 5 % edge). The settings are the independent units here: each setting mean carries its seeds'
noise, and what a seed shares with all its settings (its baseline, a slow day that scales all its
throughputs) shifts or scales every setting alike and cancels in r. That seed noise also pulls r
towards 0, so a null is "no detectable association" at the study's noise, no more.

A percentile bootstrap over whole seeds was used before and dropped: in simulated studies with 3
or 5 seeds its 95 % interval held the true r in 1-82 % of them (drawing seeds with replacement
leaves fewer distinct seeds, so noisier setting means and an r pulled towards 0), and a 3-seed
study got [0.23, 0.37] beside p = 0.084 (docs/notes.md, sixth session).

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

from xstilts.analysis.bootstrap import CONFIDENCE
from xstilts.analysis.seeds import seed_table

# The frontier's origin: no intermediate phase, 0 intermediate device-hours, gain 0 (gains are
# differences to that baseline).
BASELINE_GAIN = 0.0
SETTING_KEYS = ["arm", "intermediate_task", "batch_size", "learning_rate", "target_settings"]
SETTING_CORRELATION_COLUMNS = ["arm", "measure", "estimate", "ci_low", "ci_high", "p_value", "n_settings", "n_seeds"]


def _seed_matrix(trials: pd.DataFrame, value: str) -> pd.DataFrame:
    """Settings × seeds: the mean of ``value`` (NaN where a setting has no trial of that seed)."""
    return trials.pivot_table(index=SETTING_KEYS, columns="seed", values=value, aggfunc="mean", dropna=False)


def _setting_means(x: np.ndarray, gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means over the seeds where a setting has both values (NaN where it has none)."""
    present = np.isfinite(x) & np.isfinite(gain)
    counts = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, x, 0).sum(axis=1) / counts, np.where(present, gain, 0).sum(axis=1) / counts


def setting_correlation(trials: pd.DataFrame, measure: str) -> dict:
    """Pearson r of setting-mean ``measure`` with setting-mean XTREME gain; the t test's p and
    Fisher's z interval on n = settings (no interval with one seed, nothing with under 4 settings)."""
    usable = trials[np.isfinite(trials[measure]) & (trials[measure] > 0) & np.isfinite(trials["xtreme_gain"])]
    x, gain = _seed_matrix(usable, measure).to_numpy(float), _seed_matrix(usable, "xtreme_gain").to_numpy(float)
    n_seeds = int(usable["seed"].nunique())
    mx, mg = _setting_means(x, gain)
    keep = np.isfinite(mx) & np.isfinite(mg)
    result = {"measure": measure, "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
              "p_value": math.nan, "n_settings": int(keep.sum()), "n_seeds": n_seeds}
    if keep.sum() < 4 or np.ptp(mx[keep]) == 0 or np.ptp(mg[keep]) == 0:
        return result
    test = stats.pearsonr(mx[keep], mg[keep])
    result.update(estimate=float(test.statistic), p_value=float(test.pvalue))
    if n_seeds >= 2:  # one seed is a preview: no interval is claimed (as everywhere in the report)
        interval = test.confidence_interval(CONFIDENCE)
        result["ci_low"], result["ci_high"] = float(interval.low), float(interval.high)
    return result


def setting_correlations(trials: pd.DataFrame, measures: tuple[str, ...]) -> pd.DataFrame:
    """``setting_correlation`` for every arm and measure present."""
    records = [{"arm": arm, **setting_correlation(rows, measure)}
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

