"""Main effects of batch size and learning rate on the XTREME gain.

Two views: the batch × learning-rate grid of mean gains (no model assumed, CI over seeds),
and a regression gain ~ log2(batch) + log10(lr) + task that gives one slope per setting.
"""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.bootstrap import DEFAULT_RESAMPLES, grouped_mean_ci
from xstilts.analysis.design import setting_columns
from xstilts.analysis.frame import ALL_TASKS, BASELINE_TASK, STATUSES
from xstilts.analysis.ols import OlsFit, fit_ols

GRID = ["intermediate_task", "batch_size", "learning_rate"]


def status_counts(trials: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Number of trials per status (``n_done``, ``n_diverged``, ``n_failed``) per group."""
    counts = trials.groupby([*by, "status"], dropna=False).size().unstack("status", fill_value=0)
    counts = counts.reindex(columns=list(STATUSES), fill_value=0).add_prefix("n_")
    counts["n_trials"] = counts.sum(axis=1)
    return counts.reset_index()


def _pooled(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(intermediate_task=ALL_TASKS)


def grid_effects(gains: pd.DataFrame, trials: pd.DataFrame, *, n_resamples: int = DEFAULT_RESAMPLES,
                 rng=0) -> pd.DataFrame:
    """Mean XTREME gain per task × batch size × learning rate (and pooled over tasks).

    ``gains``: one row per finished trial (``trial_gains`` for one selection rule).
    ``trials``: every trial (``trial_table``), so cells whose runs all diverged still show.
    """
    intermediate = trials[trials["intermediate_task"] != BASELINE_TASK]
    tables = []
    for gain_rows, trial_rows in ((gains, intermediate), (_pooled(gains), _pooled(intermediate))):
        means = grouped_mean_ci(gain_rows, GRID, "xtreme_gain", n_resamples=n_resamples, rng=rng)
        counts = status_counts(trial_rows, GRID)
        tables.append(counts.merge(means.drop(columns="n_missing"), on=GRID, how="left"))
    return pd.concat(tables, ignore_index=True).rename(columns={"mean": "mean_gain", "n": "n_with_gain"})


def main_effects(gains: pd.DataFrame) -> OlsFit:
    """OLS of XTREME gain on log2(batch size), log10(learning rate) and task (one-hot)."""
    design = setting_columns(gains, include_task=True)
    return fit_ols(design, gains["xtreme_gain"])
