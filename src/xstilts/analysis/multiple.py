"""Multiple-comparison adjustment within a family of tests: Holm (default) and Benjamini-Hochberg.

A family is a set of claims read together (every intermediate task's gain on one score, every
task x target cell, every correlation); the adjusted p-values control the family-wise error
(Holm) or the false discovery rate (BH). NaN p-values (no test possible) stay NaN and do not
count towards the family size. statsmodels is not a dependency; both are a few lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xstilts.analysis.seeds import ALPHA

def _ranked(p_values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, an all-NaN output of its shape, the finite p-values' positions in ascending order)."""
    p = np.asarray(p_values, dtype=float)
    finite = np.flatnonzero(np.isfinite(p))
    return p, np.full(p.shape, np.nan), finite[np.argsort(p[finite], kind="stable")]


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values: max over j <= i of (m - j + 1) * p_(j), capped at 1."""
    p, out, order = _ranked(p_values)
    m = len(order)
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def benjamini_hochberg(p_values) -> np.ndarray:
    """BH step-up adjusted p-values: min over j >= i of m / j * p_(j), capped at 1."""
    p, out, order = _ranked(p_values)
    m = len(order)
    scaled = m / np.arange(1, m + 1) * p[order]
    out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


ADJUSTMENTS = {"holm": holm, "bh": benjamini_hochberg}
METHODS = tuple(ADJUSTMENTS)


def adjust_family(table: pd.DataFrame, family: list[str] | None = None, *, method: str = "holm",
                  p_column: str = "p_value") -> pd.DataFrame:
    """A copy of ``table`` with ``p_adjusted`` (within each group of ``family``; the whole table
    when None), ``family_size`` and ``survives`` (adjusted p < 0.05)."""
    if method not in METHODS:
        raise ValueError(f"adjustment method must be one of {', '.join(METHODS)}, got {method!r}")
    adjust = ADJUSTMENTS[method]
    out = table.copy()
    out["p_adjusted"] = np.nan
    out["family_size"] = 0
    groups = [group.index for _, group in out.groupby(family, dropna=False)] if family else [out.index]
    for index in groups:
        p = out.loc[index, p_column].to_numpy(float)
        out.loc[index, "p_adjusted"] = adjust(p)
        out.loc[index, "family_size"] = int(np.isfinite(p).sum())
    out["survives"] = out["p_adjusted"] < ALPHA
    out["adjustment"] = method
    return out
