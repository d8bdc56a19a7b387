"""Summaries over trials for the paper-style tables, heat maps and CSVs, at the seed level.

``task_gain_table`` pools every finished trial of an intermediate task (all batch sizes,
learning rates, arms), averages them within each seed, and gives a t interval over the per-seed
means: it reflects seed noise (baseline included), and its mean is the grid's average gain.
``setting_gain_table`` keeps each setting apart (t over its seeds). p-values are adjusted
within a family: the XTREME row of every intermediate task is one family, the intermediate x
target-task cells another.
"""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.multiple import adjust_family
from xstilts.analysis.seeds import seed_table
from xstilts.analysis.selection import XTREME

SETTING = ["arm", "intermediate_task", "batch_size", "learning_rate"]
XTREME_FAMILY, CELL_FAMILY = "intermediate task on XTREME", "intermediate x target task"


def task_gain_table(task_gains: pd.DataFrame, gains: pd.DataFrame, *, method: str = "holm") -> pd.DataFrame:
    """Long table: mean gain per intermediate task × target task, plus an XTREME row per task;
    seed-level CI, p, MDE, and ``p_adjusted``/``survives`` within the two families."""
    per_task = seed_table(task_gains, ["intermediate_task", "target_task"], "gain").assign(family=CELL_FAMILY)
    overall = seed_table(gains, ["intermediate_task"], "xtreme_gain").assign(target_task=XTREME, family=XTREME_FAMILY)
    table = pd.concat([per_task, overall], ignore_index=True).rename(columns={"mean": "mean_gain"})
    return adjust_family(table, ["family"], method=method) if len(table) else table


def setting_gain_table(task_gains: pd.DataFrame, gains: pd.DataFrame) -> pd.DataFrame:
    """Per setting (arm, task, batch size, learning rate) and target task (and XTREME): the mean
    gain over seeds with a t interval over seeds."""
    per_task = seed_table(task_gains, [*SETTING, "target_task"], "gain")
    overall = seed_table(gains.assign(target_task=XTREME), [*SETTING, "target_task"], "xtreme_gain")
    return pd.concat([per_task, overall], ignore_index=True).rename(columns={"mean": "mean_gain"})


def language_gain_table(cells: pd.DataFrame, selection: str) -> pd.DataFrame:
    """Mean gain per intermediate task × target task × language (no CI: a heat map's cells)."""
    matched = cells[(cells["selection"] == selection) & cells["gain"].notna()]
    return (matched.groupby(["intermediate_task", "target_task", "language"])
            .agg(mean_gain=("gain", "mean"), n_trials=("trial_id", "nunique")).reset_index())
