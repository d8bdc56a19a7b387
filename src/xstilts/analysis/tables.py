"""Summaries over trials for the paper-style tables, heat maps and CSVs.

``task_gain_table`` pools every finished trial of an intermediate task (all batch sizes,
learning rates and seeds); its CI is over those trials, so it reflects both seed noise and
the spread over the grid. ``setting_gain_table`` keeps each setting apart (CI over seeds).
"""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.bootstrap import DEFAULT_RESAMPLES, grouped_mean_ci
from xstilts.analysis.selection import XTREME


def task_gain_table(task_gains: pd.DataFrame, gains: pd.DataFrame, *, n_resamples: int = DEFAULT_RESAMPLES,
                    rng=0) -> pd.DataFrame:
    """Long table: mean gain per intermediate task × target task, plus an XTREME column."""
    per_task = grouped_mean_ci(task_gains, ["intermediate_task", "target_task"], "gain",
                               n_resamples=n_resamples, rng=rng)
    overall = grouped_mean_ci(gains, ["intermediate_task"], "xtreme_gain", n_resamples=n_resamples, rng=rng)
    overall["target_task"] = XTREME
    return pd.concat([per_task, overall], ignore_index=True).rename(columns={"mean": "mean_gain", "n": "n_trials"})


def setting_gain_table(task_gains: pd.DataFrame, gains: pd.DataFrame, *,
                       n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> pd.DataFrame:
    """Per setting (task, batch size, learning rate) and target task (and XTREME): the mean
    gain over seeds with a bootstrap CI over seeds."""
    setting = ["intermediate_task", "batch_size", "learning_rate"]
    per_task = grouped_mean_ci(task_gains, [*setting, "target_task"], "gain", n_resamples=n_resamples, rng=rng)
    overall = grouped_mean_ci(gains.assign(target_task=XTREME), [*setting, "target_task"], "xtreme_gain",
                              n_resamples=n_resamples, rng=rng)
    return pd.concat([per_task, overall], ignore_index=True).rename(columns={"mean": "mean_gain", "n": "n_seeds"})


def language_gain_table(cells: pd.DataFrame, selection: str) -> pd.DataFrame:
    """Mean gain per intermediate task × target task × language (no CI: a heat map's cells)."""
    matched = cells[(cells["selection"] == selection) & cells["gain"].notna()]
    return (matched.groupby(["intermediate_task", "target_task", "language"])
            .agg(mean_gain=("gain", "mean"), n_trials=("trial_id", "nunique")).reset_index())
