"""The results frame: the tidy table every analysis reads, and its validator.

One row per (trial, target task, language, model-selection rule). The store
(``xstilts.store``) produces it from SQLite; tests build one with a known truth through
``tests/synthetic_frames.py``. Throughput columns describe the trial's *intermediate*
phase, so they are NaN for the baseline (``intermediate_task == "none"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xstilts.errors import DataError

BASELINE_TASK = "none"
ALL_TASKS = "all tasks"  # label of rows pooled over intermediate tasks
STATUSES = ("done", "diverged", "failed")
SELECTIONS = ("english_dev", "target_dev")
# Score rows of a trivial predictor (majority label, most frequent tag, empty answer, chance for
# retrieval) on exactly the lines each trial evaluated: a floor to compare with, never a gain.
TRIVIAL_SELECTION = "trivial"
# The two arms of a sweep: epochs held fixed (batch size changes the number of updates), or
# optimizer steps held fixed (``intermediate.train.max_steps`` set by the sweep).
FIXED_EPOCHS, FIXED_STEPS = "fixed epochs", "fixed steps"
THROUGHPUT_COLUMNS = ("examples_per_s", "real_tokens_per_s", "device_hours")

# Required columns and what each holds.
RESULT_COLUMNS: dict[str, str] = {
    "trial_id": "unique id of the trial (one intermediate+target run with one seed)",
    "intermediate_task": 'English intermediate task, "none" for the no-intermediate baseline',
    "batch_size": "intermediate-phase batch size (examples per optimizer step)",
    "learning_rate": "intermediate-phase peak learning rate",
    "seed": "random seed; a trial is compared with the baseline of the same seed",
    "status": 'trial outcome: "done", "diverged" or "failed"',
    "target_task": "XTREME target task the score is for",
    "language": "language of the target-task test set",
    "metric": "name of the task-score metric (e.g. accuracy, f1)",
    "score": "task score on the target's held-out evaluation split, 0-100 as XTREME reports",
    "selection": 'checkpoint selection: "english_dev" (zero-shot) or "target_dev" (oracle); "trivial": a '
                 "trivial predictor's score on the same lines (a floor, never a trial's score)",
    "examples_per_s": "intermediate-phase training examples per second",
    "real_tokens_per_s": "intermediate-phase non-padding tokens per second",
    "device_hours": "device-hours the intermediate phase took",
}
# Optional columns: filled with a neutral value when absent.
OPTIONAL_COLUMNS: dict[str, str] = {
    "target_settings": "key of the target-phase settings; gains compare only equal keys",
    "n_examples": "number of test examples behind the score",
    "sampling_se": "bootstrap standard error of the score over its evaluated examples (NaN: none stored)",
    "mfu": "intermediate-phase model FLOPs utilisation against the measured peak",
    "peak_flops_start": "matmul peak FLOP/s measured when the intermediate phase started",
    "peak_flops_end": "matmul peak FLOP/s measured when the intermediate phase ended",
}
# Optional, and absent from stores written before the fixed-steps arm: NaN (epochs fixed).
MAX_STEPS_COLUMN = "max_steps"  # intermediate optimizer steps the sweep fixed
PROBE_COLUMNS = ("mfu", "peak_flops_start", "peak_flops_end")
CURVE_COLUMNS: dict[str, str] = {
    "trial_id": "trial the curve belongs to",
    "phase_key": "content address of the training phase",
    "step": "optimizer step",
    "train_loss": "training loss at that step (NaN when not logged)",
    "dev_score": "dev-set score at that step (NaN when not evaluated)",
}
_NUMERIC = ("batch_size", "learning_rate", "seed", "score", *THROUGHPUT_COLUMNS)
# Attributes of a whole trial, constant over its rows.
TRIAL_COLUMNS = ("trial_id", "intermediate_task", "batch_size", "learning_rate", "seed", "status",
                 "target_settings", *THROUGHPUT_COLUMNS, *PROBE_COLUMNS, MAX_STEPS_COLUMN, "arm")


def _frame_error(message: str) -> DataError:
    return DataError("results frame", None, message)


def _require_columns(frame: pd.DataFrame, columns, what: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise DataError(what, None, f"missing column '{column}'")


def _require_values(frame: pd.DataFrame, column: str, allowed: tuple[str, ...]) -> None:
    bad = sorted(set(frame[column].dropna().astype(str)) - set(allowed))
    if bad:
        raise _frame_error(f"column '{column}' has value {bad[0]!r}; allowed: {', '.join(allowed)}")


def validate_results_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the frame and return a normalised copy (optional columns filled, numbers numeric).

    Raises DataError with a one-line message naming the first problem (e.g. the missing column).
    """
    _require_columns(frame, RESULT_COLUMNS, "results frame")
    out = frame.copy()
    for column in _NUMERIC:
        if not pd.api.types.is_numeric_dtype(out[column]):
            converted = pd.to_numeric(out[column], errors="coerce")
            if converted.isna().sum() > out[column].isna().sum():
                raise _frame_error(f"column '{column}' holds non-numeric values")
            out[column] = converted
    _require_values(out, "status", STATUSES)
    _require_values(out, "selection", (*SELECTIONS, TRIVIAL_SELECTION))
    for column in OPTIONAL_COLUMNS:  # absent in older stores and frames: default settings, unknown counts
        if column not in out.columns:
            out[column] = "default" if column == "target_settings" else np.nan
    # Missing settings compare equal to each other, like an absent column.
    out["target_settings"] = out["target_settings"].fillna("default").astype(str)
    if MAX_STEPS_COLUMN not in out.columns:
        out[MAX_STEPS_COLUMN] = np.nan
    for column in ("n_examples", "sampling_se", *PROBE_COLUMNS, MAX_STEPS_COLUMN):
        out[column] = pd.to_numeric(out[column], errors="coerce")
    # The baseline has no intermediate phase, so it belongs to neither arm (it pairs with both).
    out["arm"] = np.where(out["intermediate_task"] == BASELINE_TASK, BASELINE_TASK,
                          np.where(out["max_steps"] > 0, FIXED_STEPS, FIXED_EPOCHS))
    for column in ("trial_id", "intermediate_task", "status", "target_task", "language", "metric"):
        # Labels compare as text (a numeric-looking id stays equal across sources); NaN stays NaN.
        out[column] = out[column].map(lambda value: value if pd.isna(value) else str(value))
    _require_constant_per_trial(out)
    _require_one_score_per_cell(out)
    return out


def _require_one_score_per_cell(frame: pd.DataFrame) -> None:
    """XTREME averages one task score per language; two rows for a cell would count twice."""
    scored = frame[frame["score"].notna()]
    counts = scored.groupby(["trial_id", "target_task", "language", "selection"]).size()
    if (counts > 1).any():
        trial, task, language, selection = counts[counts > 1].index[0]
        raise _frame_error(f"trial {trial!r} has {counts.max()} scores for {task}/{language} ({selection}); "
                           "expected one task score per cell")


def _require_constant_per_trial(frame: pd.DataFrame) -> None:
    """A trial's parameters and throughput must not change between its rows."""
    for column in TRIAL_COLUMNS[1:]:
        distinct = frame.groupby("trial_id", dropna=False)[column].nunique(dropna=False)
        if (distinct > 1).any():
            trial = distinct[distinct > 1].index[0]
            raise _frame_error(f"trial {trial!r} has more than one value in column '{column}'")


def without_trivial(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's model scores: every view, gain and selection table reads these, not the floor."""
    return frame[frame["selection"] != TRIVIAL_SELECTION]


def validate_curves_frame(curves: pd.DataFrame) -> pd.DataFrame:
    """Check the training-curves frame; return a copy with numeric step/loss/score."""
    _require_columns(curves, CURVE_COLUMNS, "curves frame")
    out = curves.copy()
    for column in ("step", "train_loss", "dev_score"):
        out[column] = pd.to_numeric(out[column], errors="coerce")
    return out


def trial_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per trial with its parameters, status and intermediate-phase throughput."""
    frame = validate_results_frame(frame)
    return frame.loc[:, list(TRIAL_COLUMNS)].drop_duplicates("trial_id").reset_index(drop=True)


# --- A synthetic frame with a known generating model, for tests and demos. -----------------
