"""The `xstilts results` default view: one row per trial and target task, gain beside score.

The results frame has a row per language and selection rule (hundreds per trial); what a
researcher looks at first is, per trial and target task, the mean score over languages, its
gain over the same-seed baseline, and how fast the intermediate phase ran. English-dev
selection only: retrieval tasks have no selection of their own, so their oracle rows are
copies and would be listed twice.
"""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.frame import validate_results_frame
from xstilts.analysis.gains import cell_gains

PRIMARY_SELECTION = "english_dev"
TRIAL_KEYS = ["trial_id", "intermediate_task", "arm", "batch_size", "learning_rate", "seed", "status"]
GAIN_COLUMNS = [*TRIAL_KEYS, "target_task", "languages", "score", "gain", "examples_per_s"]


def trial_target_gains(frame: pd.DataFrame) -> pd.DataFrame:
    """Per trial x target task (baselines included, gain 0 by definition left empty): mean
    score and mean gain over the task's languages, and intermediate-phase examples/s."""
    frame = validate_results_frame(frame)
    rows = frame[frame["selection"] == PRIMARY_SELECTION]
    if rows.empty:
        return pd.DataFrame(columns=GAIN_COLUMNS)
    scores = (rows.groupby([*TRIAL_KEYS, "target_task"], dropna=False)
              .agg(languages=("language", "nunique"), score=("score", "mean"), examples_per_s=("examples_per_s", "first"))
              .reset_index())
    cells = cell_gains(frame)
    cells = cells[cells["selection"] == PRIMARY_SELECTION]
    gains = cells.groupby(["trial_id", "target_task"])["gain"].mean().rename("gain").reset_index()
    table = scores.merge(gains, on=["trial_id", "target_task"], how="left")
    return table.loc[:, GAIN_COLUMNS].sort_values(["target_task", "intermediate_task", "seed", "batch_size",
                                                   "learning_rate"], na_position="first").reset_index(drop=True)
