"""Seed-level statistics: the seed is the unit of replication.

Every trial of a seed is compared with that seed's baseline, so a seed's trials share one
baseline draw and are not independent of each other. Each estimate here first averages
within a seed (the per-seed mean gain already carries its baseline), then treats the per-seed
means as the sample: the 95% CI is Student's t over them, the p-value a one-sample t-test of
zero, and the minimal detectable effect (MDE) the two-sided alpha = 0.05, 80 %-power effect of
that t-test given the observed SD of the per-seed means. With one seed there is no variance
to estimate: the mean stands alone, with no CI, p or MDE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05
POWER = 0.80
SEED_STAT_COLUMNS = ["mean", "ci_low", "ci_high", "p_value", "mde", "sd", "n_seeds"]


@dataclass(frozen=True)
class SeedEstimate:
    """A mean over per-seed values with its t interval, t-test p and MDE (NaN with one seed)."""

    mean: float
    ci_low: float
    ci_high: float
    p_value: float
    mde: float
    sd: float
    n_seeds: int

    def record(self) -> dict[str, float | int]:
        """The estimate as table columns (``SEED_STAT_COLUMNS``)."""
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high, "p_value": self.p_value,
                "mde": self.mde, "sd": self.sd, "n_seeds": self.n_seeds}


def minimal_detectable_effect(sd: float, n: int, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """(t_{1-alpha/2, n-1} + t_{power, n-1}) * sd / sqrt(n): the smallest true mean a one-sample
    (or paired) t-test over ``n`` seeds detects with probability ``power``."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    df = n - 1
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * sd / math.sqrt(n))


def seed_estimate(values: Sequence[float]) -> SeedEstimate:
    """Mean of per-seed values (one per seed; NaNs are an error) with a t interval over seeds."""
    values = np.asarray(values, dtype=float)
    if np.isnan(values).any():
        raise ValueError("seed_estimate got NaN values; drop them explicitly and report how many")
    n = len(values)
    if n == 0:
        return SeedEstimate(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(values.mean())
    if n < 2:
        return SeedEstimate(mean, math.nan, math.nan, math.nan, math.nan, math.nan, 1)
    sd = float(values.std(ddof=1))
    if sd == 0:  # identical seeds: a zero-width interval, and a t-test with no variance
        return SeedEstimate(mean, mean, mean, 0.0 if mean else 1.0, 0.0, 0.0, n)
    margin = stats.t.ppf(1 - ALPHA / 2, n - 1) * sd / math.sqrt(n)
    p_value = float(stats.ttest_1samp(values, 0.0).pvalue)
    return SeedEstimate(mean, mean - margin, mean + margin, p_value, minimal_detectable_effect(sd, n), sd, n)


def per_seed_means(rows: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Mean of ``value`` per group and seed (NaN rows dropped), with the rows behind each."""
    finite = rows.dropna(subset=[value])
    return (finite.groupby([*by, "seed"], dropna=False)
            .agg(**{value: (value, "mean"), "n_rows": (value, "size")}).reset_index())


def seed_table(rows: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Per group of ``by``: the seed-level estimate of the mean of ``value`` (see module doc).

    ``n_trials`` counts the rows behind the per-seed means.
    """
    seeds = per_seed_means(rows, by, value)
    records = []
    for key, group in seeds.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        estimate = seed_estimate(group[value].to_numpy())
        records.append({**dict(zip(by, key)), **estimate.record(),
                        "n_trials": int(group["n_rows"].sum())})
    return pd.DataFrame(records, columns=[*by, *SEED_STAT_COLUMNS, "n_trials"])
