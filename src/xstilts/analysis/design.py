"""Design columns for the study's settings: batch size, learning rate and intermediate task.

Shared by the partial correlation (as controls) and the main-effects regression (as terms),
so both adjust for the same settings; the partial correlation also holds the seed fixed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def one_hot(values: pd.Series, prefix: str) -> pd.DataFrame:
    """Indicator columns for every level but the first (sorted), which is the reference."""
    levels = sorted(values.unique(), key=str)
    return pd.DataFrame({f"{prefix}[{level}]": (values == level).to_numpy(float) for level in levels[1:]},
                        index=values.index)


def setting_columns(trials: pd.DataFrame, *, include_task: bool, categorical_grid: bool = False,
                    include_seed: bool = False) -> pd.DataFrame:
    """log2(batch size) and log10(learning rate), or their levels as categories; task and seed one-hot.

    Terms without variation (one batch size, one task) are left out: they carry no
    information and would make the least-squares fit rank-deficient.
    """
    if categorical_grid:
        # Levels absorb any non-linear effect of the grid, e.g. a gain that peaks at a middle LR.
        parts = [one_hot(trials["batch_size"], "batch_size"), one_hot(trials["learning_rate"], "learning_rate")]
    else:
        parts = [pd.DataFrame({"log2_batch_size": np.log2(trials["batch_size"].to_numpy(float)),
                               "log10_learning_rate": np.log10(trials["learning_rate"].to_numpy(float))},
                              index=trials.index)]
    if include_task:
        parts.append(one_hot(trials["intermediate_task"], "task"))
    if include_seed:
        parts.append(one_hot(trials["seed"], "seed"))
    if "arm" in trials:  # fixed epochs vs fixed steps: batch size means different things in each
        parts.append(one_hot(trials["arm"], "arm"))
    columns = pd.concat(parts, axis=1)
    varying = [name for name in columns.columns if columns[name].nunique() > 1]
    return columns.loc[:, varying]
