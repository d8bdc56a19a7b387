"""Correlation with a bootstrap CI and a permutation p-value; partial correlation by residuals.

Pearson and Spearman are written to work along an axis so scipy can evaluate thousands of
resamples at once (vectorized=True) instead of one Python call per resample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from xstilts.analysis.bootstrap import DEFAULT_RESAMPLES, bootstrap_ci


@dataclass(frozen=True)
class Correlation:
    method: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float  # two-sided permutation test of "no association"
    n: int


def pearson(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    x = x - x.mean(axis=axis, keepdims=True)
    y = y - y.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant resample has no correlation
        return (x * y).sum(axis=axis) / np.sqrt((x * x).sum(axis=axis) * (y * y).sum(axis=axis))


def spearman(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return pearson(stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis), axis=axis)


METHODS = {"pearson": pearson, "spearman": spearman}


def _nan_result(method: str, n: int) -> Correlation:
    return Correlation(method, np.nan, np.nan, np.nan, np.nan, n)


def _permutation_p(x: np.ndarray, y: np.ndarray, statistic, n_resamples: int, rng) -> float:
    result = stats.permutation_test(
        (x,), lambda xs, axis=-1: statistic(xs, y, axis=axis), permutation_type="pairings",
        vectorized=True, n_resamples=n_resamples, alternative="two-sided", rng=np.random.default_rng(rng))
    return float(result.pvalue)


def correlate(x, y, method: str = "pearson", *, n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> Correlation:
    """Correlation of paired samples with a BCa bootstrap CI (pairs resampled) and permutation p."""
    statistic = METHODS[method]
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return _nan_result(method, len(x))
    estimate = float(statistic(x, y))
    ci = bootstrap_ci((x, y), statistic, paired=True, vectorized=True, n_resamples=n_resamples,
                      rng=rng).confidence_interval
    p_value = _permutation_p(x, y, statistic, n_resamples, rng)
    return Correlation(method, estimate, float(ci.low), float(ci.high), p_value, len(x))


def residualise(values: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """What is left of ``values`` after a least-squares fit on ``controls`` plus an intercept."""
    design = np.column_stack([np.ones(len(values)), controls])
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    return values - design @ coefficients


def _residualise_rows(values: np.ndarray, design: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``residualise`` for many row resamples at once: ``rows`` is (..., m) row indices.

    The normal equations are solved with a pseudo-inverse, so a resample that happens to
    miss a level (a rank-deficient design) still gets the least-squares residuals.
    """
    x, v = design[rows], values[rows]  # (..., m, p), (..., m)
    gram = np.swapaxes(x, -1, -2) @ x
    beta = np.linalg.pinv(gram, hermitian=True) @ (np.swapaxes(x, -1, -2) @ v[..., None])
    return v - (x @ beta)[..., 0]


def partial_correlation(x, y, controls, *, n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> Correlation:
    """Pearson correlation of x and y after removing what ``controls`` (n × k) explains in each.

    The bootstrap resamples rows and refits the controls each time, so the CI includes the
    uncertainty of the adjustment. The permutation test permutes x's residuals against y's.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    controls = np.asarray(controls, dtype=float)
    # No control columns (e.g. no trials, or nothing varies) leaves just the intercept.
    controls = controls.reshape(len(x), -1) if controls.size else np.empty((len(x), 0))
    if len(x) < controls.shape[1] + 4:
        return _nan_result("partial pearson", len(x))
    x_resid, y_resid = residualise(x, controls), residualise(y, controls)
    if np.ptp(x_resid) < 1e-12 * max(1.0, np.ptp(x)) or np.ptp(y_resid) < 1e-12 * max(1.0, np.ptp(y)):
        return _nan_result("partial pearson", len(x))  # the controls explain one variable fully
    design = np.column_stack([np.ones(len(x)), controls])

    def on_rows(rows: np.ndarray, axis: int = -1) -> np.ndarray:
        rows = rows.astype(int)
        return pearson(_residualise_rows(x, design, rows), _residualise_rows(y, design, rows), axis=-1)

    ci = bootstrap_ci((np.arange(len(x)),), on_rows, paired=False, vectorized=True,
                      n_resamples=n_resamples, rng=rng).confidence_interval
    p_value = _permutation_p(x_resid, y_resid, pearson, n_resamples, rng)
    return Correlation("partial pearson", float(pearson(x_resid, y_resid)), float(ci.low), float(ci.high),
                       p_value, len(x))
