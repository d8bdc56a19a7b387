"""Ordinary least squares with classical standard errors and t-based confidence intervals.

statsmodels is not a dependency; this is the textbook fit in numpy/scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from xstilts.analysis.bootstrap import CONFIDENCE


class NotEstimableError(ValueError):
    """The data cannot identify the model (too few rows or collinear terms)."""


@dataclass(frozen=True)
class OlsFit:
    coefficients: pd.DataFrame  # term, estimate, std_error, ci_low, ci_high, t, p_value
    r_squared: float
    n: int
    df_resid: int


def _identified(design: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The design with its intercept column and the least-squares coefficients; NotEstimableError
    when the rows cannot identify them (fewer rows than coefficients, or collinear terms)."""
    x = np.column_stack([np.ones(len(y)), design.to_numpy(float)])
    n, p = x.shape
    if n < p:
        raise NotEstimableError(f"{n} observations cannot identify {p} coefficient(s)")
    if np.linalg.matrix_rank(x) < p:
        raise NotEstimableError(f"the terms {', '.join(design.columns)} are collinear (settings confounded)")
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    return x, beta


def ols_estimates(design: pd.DataFrame, response) -> pd.Series:
    """The coefficients of ``response ~ intercept + design``, by term, without standard errors:
    an exactly identified fit counts (two batch sizes in one seed give that seed's slope), since
    the uncertainty comes from elsewhere, e.g. the spread of the estimate over seeds."""
    _, beta = _identified(design, np.asarray(response, dtype=float))
    return pd.Series(beta, index=["intercept", *design.columns])


def fit_ols(design: pd.DataFrame, response) -> OlsFit:
    """Fit ``response ~ intercept + design``; raise NotEstimableError when it is not identified
    or leaves no residual degree of freedom for the standard errors."""
    y = np.asarray(response, dtype=float)
    x, beta = _identified(design, y)
    n, p = x.shape
    if n == p:
        raise NotEstimableError(f"{n} observations leave no degree of freedom for {p} coefficient(s)")
    residuals = y - x @ beta
    df_resid = n - p
    sigma2 = residuals @ residuals / df_resid
    std_error = np.sqrt(np.diag(sigma2 * np.linalg.inv(x.T @ x)))
    margin = stats.t.ppf(0.5 + CONFIDENCE / 2, df_resid) * std_error
    with np.errstate(divide="ignore", invalid="ignore"):  # a perfect fit has zero standard error
        t_value = beta / std_error
    coefficients = pd.DataFrame({
        "term": ["intercept", *design.columns], "estimate": beta, "std_error": std_error,
        "ci_low": beta - margin, "ci_high": beta + margin, "t": t_value,
        "p_value": 2 * stats.t.sf(np.abs(t_value), df_resid)})
    total = ((y - y.mean()) ** 2).sum()
    r_squared = float(1 - residuals @ residuals / total) if total > 0 else np.nan
    return OlsFit(coefficients, r_squared, n, df_resid)
