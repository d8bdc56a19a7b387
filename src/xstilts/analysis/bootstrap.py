"""Bootstrap confidence intervals: a mean over seeds, and a paired comparison over test examples.

Both resample with scipy.stats.bootstrap. BCa is tried first (better coverage for skewed
statistics); with very few or tied values its jackknife degenerates and the interval comes
back NaN, so the percentile interval is used instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_RESAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its bootstrap CI; the CI is NaN when n < 2."""

    value: float
    ci_low: float
    ci_high: float
    n: int


def bootstrap_ci(data: tuple, statistic: Callable, *, paired: bool, vectorized: bool,
                 n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> Any:
    """scipy.stats.bootstrap with BCa, falling back to percentile where BCa is undefined.

    Returns scipy's BootstrapResult.
    """
    kwargs = dict(paired=paired, vectorized=vectorized, n_resamples=n_resamples,
                  confidence_level=CONFIDENCE)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # Degenerate resamples (all values tied) are expected with few seeds; handled below.
        warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        result = stats.bootstrap(data, statistic, method="BCa", rng=np.random.default_rng(rng), **kwargs)
        interval = result.confidence_interval
        if not (np.isfinite(interval.low) and np.isfinite(interval.high)):
            result = stats.bootstrap(data, statistic, method="percentile",
                                     rng=np.random.default_rng(rng), **kwargs)
    return result


def mean_ci(values: Sequence[float], *, n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> Estimate:
    """Mean of ``values`` (NaNs are an error: drop and count them before) with a bootstrap CI."""
    values = np.asarray(values, dtype=float)
    if np.isnan(values).any():
        raise ValueError("mean_ci got NaN values; drop them explicitly and report how many")
    if len(values) == 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    mean = float(values.mean())
    if len(values) < 2:
        return Estimate(mean, np.nan, np.nan, 1)
    if np.ptp(values) == 0:  # every resample has the same mean
        return Estimate(mean, mean, mean, len(values))
    result = bootstrap_ci((values,), np.mean, paired=False, vectorized=True,
                          n_resamples=n_resamples, rng=rng)
    ci = result.confidence_interval
    return Estimate(mean, float(ci.low), float(ci.high), len(values))


def grouped_mean_ci(frame: pd.DataFrame, by: list[str], value: str, *,
                    n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> pd.DataFrame:
    """Per group of ``by``: mean of ``value`` with a bootstrap CI over the group's rows.

    Rows whose value is NaN are excluded and counted in ``n_missing``.
    """
    records = []
    for key, group in frame.groupby(by, sort=True, dropna=False):
        finite = group[value].dropna()
        estimate = mean_ci(finite.to_numpy(), n_resamples=n_resamples, rng=rng)
        key = key if isinstance(key, tuple) else (key,)
        records.append({**dict(zip(by, key)), "mean": estimate.value, "ci_low": estimate.ci_low,
                        "ci_high": estimate.ci_high, "n": estimate.n,
                        "n_missing": int(len(group) - len(finite))})
    return pd.DataFrame(records, columns=[*by, "mean", "ci_low", "ci_high", "n", "n_missing"])
