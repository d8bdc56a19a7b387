"""Tidy pandas frames built from the store's raw tables (the analysis reads these).

Kept apart from the SQL so the shaping rules (which phase gives the throughput, where the
example counts come from) live in one place.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

RESULT_COLUMNS = (
    "trial_id", "intermediate_task", "batch_size", "learning_rate", "seed", "status",
    "target_task", "language", "metric", "score", "sampling_se", "selection",
    "examples_per_s", "real_tokens_per_s", "device_hours", "target_settings", "n_examples",
    "mfu", "peak_flops_start", "peak_flops_end", "max_steps",
)
CURVE_COLUMNS = ("trial_id", "phase_key", "step", "train_loss", "dev_score")
PHASE_COLUMNS = (
    "phase_key", "phase", "task", "status", "computed", "estimate_s", "seconds", "estimate_error",
    "examples_per_s", "real_tokens_per_s", "steps", "trial_ids",
)
# Trial parameters (TrialResult.params keys) that become columns of the results frame.
PARAM_COLUMNS = ("intermediate_task", "batch_size", "learning_rate", "seed", "target_settings")
# The fixed-steps arm: a trial whose sweep sets this key trains a fixed number of optimizer steps
# (batch size no longer changes the number of updates). Read from params["max_steps"] when the
# sweep records it there, else from the grid point that produced the trial.
MAX_STEPS_PARAM, MAX_STEPS_KEY = "max_steps", "intermediate.train.max_steps"
DEFAULT_TARGET_SETTINGS = "default"
EVAL_EXAMPLES_META = "eval_examples"  # zero_shot PhaseRecord.meta: {language: examples scored}


def _trial_columns(trials: pd.DataFrame) -> pd.DataFrame:
    params = [json.loads(text) for text in trials["params"]]
    out = trials.loc[:, ["trial_id", "status"]].astype(object).reset_index(drop=True)
    for column in PARAM_COLUMNS:
        out[column] = pd.Series([p.get(column) for p in params], dtype=object)
    for column in ("batch_size", "learning_rate", "seed"):
        out[column] = pd.to_numeric(out[column], errors="coerce")
    out["target_settings"] = out["target_settings"].fillna(DEFAULT_TARGET_SETTINGS)
    out[MAX_STEPS_PARAM] = pd.to_numeric(pd.Series(
        [p.get(MAX_STEPS_PARAM, (p.get("grid") or {}).get(MAX_STEPS_KEY)) for p in params], dtype=object),
        errors="coerce")
    return out


def _intermediate_throughput(trial_phases: pd.DataFrame) -> pd.DataFrame:
    """Throughput and device-hours of each trial's intermediate phase (none for the baseline)."""
    inter = trial_phases[trial_phases["phase"] == "intermediate"]
    return pd.DataFrame({
        "trial_id": inter["trial_id"],
        "examples_per_s": inter["examples_per_s"].astype(float),
        "real_tokens_per_s": inter["real_tokens_per_s"].astype(float),
        "device_hours": inter["seconds"].astype(float) / 3600.0,
        # Model FLOPs utilisation and the machine's measured matmul peak at phase start and end:
        # what makes throughput from different days comparable (analysis.normalise).
        "mfu": inter["mfu"].astype(float),
        "peak_flops_start": inter["peak_flops_start"].astype(float),
        "peak_flops_end": inter["peak_flops_end"].astype(float),
    }).drop_duplicates("trial_id")


def _example_counts(trial_phases: pd.DataFrame) -> pd.DataFrame:
    """Test examples per (trial, target task, language), from the zero-shot phases' meta.

    The pipeline reports them as ``meta["eval_examples"] = {language: count}`` on the
    zero_shot phase whose task is the target task.
    """
    rows = []
    for row in trial_phases[trial_phases["phase"].isin(["zero_shot", "retrieval"])].itertuples():
        for language, count in json.loads(row.meta).get(EVAL_EXAMPLES_META, {}).items():
            rows.append((row.trial_id, row.task, language, count))
    return pd.DataFrame(rows, columns=["trial_id", "target_task", "language", "n_examples"])


def results_frame_from(trials: pd.DataFrame, trial_phases: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Join trials, their intermediate phase and their scores.

    A trial without scores (failed or diverged before scoring) keeps one row with NaN score.
    """
    frame = (
        _trial_columns(trials)
        .merge(_intermediate_throughput(trial_phases), on="trial_id", how="left")
        .merge(scores, on="trial_id", how="left")
        .merge(_example_counts(trial_phases), on=["trial_id", "target_task", "language"], how="left")
    )
    frame["score"] = frame["score"].astype(float)
    frame["sampling_se"] = pd.to_numeric(frame["sampling_se"], errors="coerce")
    frame["n_examples"] = pd.to_numeric(frame["n_examples"], errors="coerce")
    return frame.loc[:, list(RESULT_COLUMNS)].reset_index(drop=True)


def curves_frame_from(curves: pd.DataFrame) -> pd.DataFrame:
    out = curves.loc[:, list(CURVE_COLUMNS)].copy()
    for column in ("train_loss", "dev_score"):
        out[column] = out[column].astype(float)
    return out.reset_index(drop=True)


def phases_frame_from(phases: pd.DataFrame) -> pd.DataFrame:
    """Adds estimate_error = estimate / actual - 1 (positive: the planner over-estimated)."""
    out = phases.copy()
    out["computed"] = out["computed"].astype(bool)
    actual = out["seconds"].astype(float).where(out["computed"] & (out["seconds"] > 0))
    out["estimate_error"] = out["estimate_s"].astype(float) / actual - 1.0
    out["estimate_error"] = out["estimate_error"].replace([np.inf, -np.inf], np.nan)
    return out.loc[:, list(PHASE_COLUMNS)].reset_index(drop=True)
