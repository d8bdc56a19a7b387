"""Model selection: English-dev-selected scores beside target-dev-selected ("oracle") scores.

Zero-shot transfer may only select checkpoints on English dev data; selecting on the
target-language dev sets (Keung et al. 2020) is an upper bound that leaks target data.
The gap says how much the honest protocol leaves on the table.
"""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.bootstrap import DEFAULT_RESAMPLES, grouped_mean_ci
from xstilts.analysis.frame import SELECTIONS, validate_results_frame, without_trivial
from xstilts.analysis.gains import xtreme_mean

XTREME = "XTREME"
ALL_TRIALS = "all trials"  # rows pooled over every intermediate task and the baseline


def _scores_per_target(frame: pd.DataFrame) -> pd.DataFrame:
    """Per trial and selection: each target task's score (mean over languages) and XTREME's."""
    finished = frame[(frame["status"] == "done") & frame["score"].notna()]
    keys = ["trial_id", "intermediate_task", "selection"]
    per_task = finished.groupby([*keys, "target_task"])["score"].mean().reset_index()
    overall = xtreme_mean(finished, keys, "score").drop(columns="n_target_tasks").assign(target_task=XTREME)
    return pd.concat([per_task, overall], ignore_index=True)


def selection_comparison(frame: pd.DataFrame, *, n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> pd.DataFrame:
    """Mean score per intermediate task (baseline included) and target under each selection rule,
    with the oracle gap (target-dev minus English-dev, paired within trial) and its CI over trials.
    Rows labelled ``ALL_TRIALS`` pool every trial.
    """
    scores = _scores_per_target(without_trivial(validate_results_frame(frame)))
    wide = (scores.pivot_table(index=["trial_id", "intermediate_task", "target_task"], columns="selection",
                               values="score", aggfunc="first")
            .reindex(columns=list(SELECTIONS)).reset_index())
    wide["oracle_gap"] = wide["target_dev"] - wide["english_dev"]
    wide = pd.concat([wide, wide.assign(intermediate_task=ALL_TRIALS)], ignore_index=True)
    by = ["intermediate_task", "target_task"]
    means = wide.groupby(by)[list(SELECTIONS)].mean().reset_index()
    gap = grouped_mean_ci(wide, by, "oracle_gap", n_resamples=n_resamples, rng=rng).rename(columns={
        "mean": "oracle_gap", "ci_low": "gap_ci_low", "ci_high": "gap_ci_high", "n": "n_trials_paired",
        "n_missing": "n_trials_unpaired"})
    return means.merge(gap, on=by)
