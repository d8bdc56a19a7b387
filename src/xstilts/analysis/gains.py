"""Gains over the no-intermediate baseline, per cell, per target task, and on the XTREME score.

A trial is compared only with the baseline that shares its seed and target-phase settings
(and, per row, target task, language, selection rule and metric), so seed-to-seed variance
of the target phase cancels in the difference.
"""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.frame import BASELINE_TASK, TRIAL_COLUMNS, validate_results_frame, without_trivial
from xstilts.errors import DataError

PAIR_KEYS = ["seed", "target_settings", "target_task", "language", "selection", "metric"]


def _require_one_baseline_per_cell(baselines: pd.DataFrame) -> None:
    counts = baselines.groupby(PAIR_KEYS, dropna=False).size()
    if (counts > 1).any():
        key = dict(zip(PAIR_KEYS, counts[counts > 1].index[0]))
        described = ", ".join(f"{k}={v}" for k, v in key.items())
        raise DataError("results frame", None, f"more than one finished baseline for {described}")


def cell_gains(frame: pd.DataFrame) -> pd.DataFrame:
    """Finished non-baseline rows with ``baseline_score`` and ``gain = score - baseline_score``.

    Rows with no matching baseline keep NaN in both columns so they can be counted, not lost.
    """
    frame = without_trivial(validate_results_frame(frame))
    finished = frame[(frame["status"] == "done") & frame["score"].notna()]
    baselines = finished[finished["intermediate_task"] == BASELINE_TASK]
    _require_one_baseline_per_cell(baselines)
    trials = finished[finished["intermediate_task"] != BASELINE_TASK]
    reference = baselines.loc[:, [*PAIR_KEYS, "score"]].rename(columns={"score": "baseline_score"})
    cells = trials.merge(reference, on=PAIR_KEYS, how="left", validate="many_to_one")
    cells["gain"] = cells["score"] - cells["baseline_score"]
    return cells.reset_index(drop=True)


def xtreme_mean(rows: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """XTREME's aggregation of ``value``: mean over languages per target task, then over tasks.

    Only the tasks present in each group count; ``n_target_tasks`` says how many that was.
    """
    per_task = rows.groupby([*keys, "target_task"], dropna=False)[value].mean().reset_index()
    return (per_task.groupby(keys, dropna=False)
            .agg(**{value: (value, "mean"), "n_target_tasks": ("target_task", "nunique")})
            .reset_index())


def _with_trial_attributes(table: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    attributes = cells.loc[:, list(TRIAL_COLUMNS)].drop_duplicates("trial_id")
    return attributes.merge(table, on="trial_id", how="inner")


def task_gains(cells: pd.DataFrame) -> pd.DataFrame:
    """Per trial, selection rule and target task: the mean gain over that task's languages."""
    matched = cells.dropna(subset=["gain"])
    table = (matched.groupby(["trial_id", "selection", "target_task"], dropna=False)
             .agg(gain=("gain", "mean"), n_languages=("language", "nunique")).reset_index())
    return _with_trial_attributes(table, matched)


def trial_gains(cells: pd.DataFrame) -> pd.DataFrame:
    """Per trial and selection rule: ``xtreme_gain``, the gain of the XTREME-style score."""
    matched = cells.dropna(subset=["gain"])
    table = xtreme_mean(matched, ["trial_id", "selection"], "gain").rename(columns={"gain": "xtreme_gain"})
    counts = matched.groupby(["trial_id", "selection"]).size().rename("n_cells").reset_index()
    return _with_trial_attributes(table.merge(counts, on=["trial_id", "selection"]), matched)
