"""Are the evaluation sets large enough? Each target's sampling error against its seed variance.

A target's score is uncertain for two reasons: which test examples were drawn (sampling error:
the bootstrap standard error over the evaluated examples that every stored score carries,
``metrics.sampling``) and which seed trained the model (seed variance: the SD over seeds of the
baseline's score on the very same examples). Every estimate of the study replicates over seeds,
so an evaluation set is large enough when its sampling error is small next to the seed SD.
Both are shown per language (medians over the target's languages) and for the target's score,
the mean over its languages (languages are independent samples: its sampling SE is
sqrt(sum of squared SEs) / languages). Retrieval targets train nothing: their seed SD is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xstilts.analysis.frame import BASELINE_TASK

SAMPLING_COLUMNS = ["target_task", "n_languages", "examples_per_language", "language_sampling_se",
                    "language_seed_sd", "task_sampling_se", "task_seed_sd", "n_seeds"]


def _rms(values: pd.Series) -> float:
    return float(np.sqrt(np.mean(np.square(values)))) if len(values) else np.nan


def _seed_sd(values: pd.Series) -> float:
    return float(values.std(ddof=1)) if len(values) >= 2 else np.nan


def _target_row(rows: pd.DataFrame) -> dict:
    languages = rows.groupby("language").agg(se=("sampling_se", _rms), sd=("score", _seed_sd),
                                             n=("n_examples", "median"))
    per_seed = rows.groupby("seed").agg(score=("score", "mean"), squares=("sampling_se", lambda s: np.sum(s ** 2)),
                                        n_languages=("language", "nunique"))
    task_se = np.sqrt(per_seed["squares"]) / per_seed["n_languages"]
    return {"n_languages": len(languages), "examples_per_language": float(languages["n"].median()),
            "language_sampling_se": float(languages["se"].median()), "language_seed_sd": float(languages["sd"].median()),
            "task_sampling_se": _rms(task_se), "task_seed_sd": _seed_sd(per_seed["score"]),
            "n_seeds": int(rows["seed"].nunique())}


def sampling_against_seeds(frame: pd.DataFrame, selection: str) -> pd.DataFrame:
    """Per target task: the baseline trials' sampling error and seed SD, per language and for the
    target's score (empty when no score of the baseline carries a sampling error)."""
    rows = frame[(frame["intermediate_task"] == BASELINE_TASK) & (frame["status"] == "done")
                 & (frame["selection"] == selection) & frame["score"].notna() & frame["sampling_se"].notna()]
    records = [{"target_task": task, **_target_row(task_rows)} for task, task_rows in rows.groupby("target_task")]
    return pd.DataFrame(records, columns=SAMPLING_COLUMNS)
