"""Does each target's baseline beat a trivial predictor on the lines it was evaluated on?

The store's score rows with ``selection == "trivial"`` hold, for every trial, target task and
language, the score of a trivial predictor (majority training label, most frequent tag, empty
answer; retrieval tasks have none) on exactly the evaluated lines, with the same metric. Here the
baseline trials (no intermediate task) are compared with it: per seed, the baseline's mean
score over the target's languages minus the trivial mean over the same languages, then a
seed-level CI of that margin. A target whose margin's CI does not lie above zero has not
learned enough to show transfer; it is *reported apart*: left out of the averaged (XTREME-style)
score and named in the report. With one seed there is no CI and the point margin decides.
"""

from __future__ import annotations

import math

import pandas as pd

from xstilts.analysis.frame import BASELINE_TASK, TRIVIAL_SELECTION
from xstilts.analysis.seeds import SEED_STAT_COLUMNS, seed_table

MARGIN_COLUMNS = ["target_task", "metric", "baseline_score", "trivial_score", *SEED_STAT_COLUMNS,
                  "n_languages", "reported_apart"]
KEYS = ["trial_id", "seed", "target_task", "language", "metric"]


def _paired_baseline_rows(frame: pd.DataFrame, selection: str) -> pd.DataFrame:
    """Baseline model score beside its trivial score, per baseline trial x target x language."""
    done = frame[(frame["intermediate_task"] == BASELINE_TASK) & (frame["status"] == "done")
                 & frame["score"].notna()]
    model = done[done["selection"] == selection].loc[:, [*KEYS, "score"]]
    trivial = done[done["selection"] == TRIVIAL_SELECTION].loc[:, [*KEYS, "score"]]
    return model.merge(trivial.rename(columns={"score": "trivial"}), on=KEYS, how="inner")


def trivial_margins(frame: pd.DataFrame, selection: str) -> pd.DataFrame:
    """Per target task: baseline vs trivial score (means over seeds) and the margin with its
    seed-level CI, t-test p and MDE; ``reported_apart`` when the baseline does not clearly beat
    trivial. Empty when the frame holds no trivial rows."""
    pairs = _paired_baseline_rows(frame, selection)
    if pairs.empty:
        return pd.DataFrame(columns=MARGIN_COLUMNS)
    per_seed = (pairs.groupby(["target_task", "metric", "seed"])
                .agg(baseline_score=("score", "mean"), trivial_score=("trivial", "mean"),
                     n_languages=("language", "nunique")).reset_index())
    per_seed["margin"] = per_seed["baseline_score"] - per_seed["trivial_score"]
    table = seed_table(per_seed, ["target_task", "metric"], "margin")
    levels = (per_seed.groupby(["target_task", "metric"])
              .agg(baseline_score=("baseline_score", "mean"), trivial_score=("trivial_score", "mean"),
                   n_languages=("n_languages", "max")).reset_index())
    table = levels.merge(table.drop(columns="n_trials"), on=["target_task", "metric"])
    table["reported_apart"] = [not (lo > 0) if math.isfinite(lo) else not (mean > 0)
                               for lo, mean in zip(table["ci_low"], table["mean"])]
    return table.loc[:, MARGIN_COLUMNS]


def apart_targets(margins: pd.DataFrame) -> list[str]:
    """Target tasks left out of the averaged score (their baseline does not beat trivial)."""
    return sorted(margins.loc[margins["reported_apart"].astype(bool), "target_task"].unique())
