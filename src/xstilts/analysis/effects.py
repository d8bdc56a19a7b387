"""Main effects of batch size and learning rate on the XTREME gain, per arm of the sweep.

Three views: the batch × learning-rate grid of mean gains (no model assumed, t CI over seeds),
the seed-level slopes (the regression gain ~ log2(batch) + log10(lr) + task fitted within each
seed, then a t interval over the seeds' slopes: the seed is the unit of replication), and the
pooled regression over trials (an appendix view: it treats trials sharing a baseline as
independent). The fixed-epochs and fixed-steps arms are never pooled: in the first, a bigger
batch also means fewer updates; in the second it does not.
"""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.design import setting_columns
from xstilts.analysis.frame import ALL_TASKS, BASELINE_TASK, STATUSES
from xstilts.analysis.ols import NotEstimableError, OlsFit, fit_ols, ols_estimates
from xstilts.analysis.seeds import SEED_STAT_COLUMNS, seed_estimate, seed_table

GRID = ["arm", "intermediate_task", "batch_size", "learning_rate"]
SLOPE_TERMS = ("log2_batch_size", "log10_learning_rate")


def status_counts(trials: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Number of trials per status (``n_done``, ``n_diverged``, ``n_failed``) per group."""
    counts = trials.groupby([*by, "status"], dropna=False).size().unstack("status", fill_value=0)
    counts = counts.reindex(columns=list(STATUSES), fill_value=0).add_prefix("n_")
    counts["n_trials"] = counts.sum(axis=1)
    return counts.reset_index()


def _pooled(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(intermediate_task=ALL_TASKS)


def grid_effects(gains: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """Mean XTREME gain per arm × task × batch size × learning rate (and pooled over tasks),
    with the t CI, p and MDE over seeds (one trial per seed and cell).

    ``gains``: one row per finished trial (``trial_gains`` for one selection rule).
    ``trials``: every trial (``trial_table``), so cells whose runs all diverged still show.
    """
    intermediate = trials[trials["intermediate_task"] != BASELINE_TASK]
    tables = []
    for gain_rows, trial_rows in ((gains, intermediate), (_pooled(gains), _pooled(intermediate))):
        means = seed_table(gain_rows, GRID, "xtreme_gain").drop(columns="n_trials")
        counts = status_counts(trial_rows, GRID)
        tables.append(counts.merge(means, on=GRID, how="left"))
    return pd.concat(tables, ignore_index=True).rename(columns={"mean": "mean_gain", "n_seeds": "n_with_gain"})


def main_effects(gains: pd.DataFrame, response: str = "xtreme_gain") -> OlsFit:
    """OLS of ``response`` (XTREME gain unless told) on log2(batch size), log10(learning rate) and
    task (one-hot), over the trials given (pass one arm's trials: the arms differ in what batch
    size changes)."""
    return fit_ols(_main_effects_design(gains), gains[response])


def _main_effects_design(gains: pd.DataFrame) -> pd.DataFrame:
    """One design for the pooled fit and the per-seed slopes, so both estimate the same terms."""
    return setting_columns(gains, include_task=True)


def seed_coefficients(rows: pd.DataFrame, response: str = "xtreme_gain") -> dict[str, float]:
    """Each slope term of the main-effects fit within one seed's trials ({} if not identified).

    Point estimates only: the interval comes from their spread over seeds, so a seed whose
    trials identify the slopes exactly (a fixed-steps arm at two batch sizes) still counts."""
    try:
        table = ols_estimates(_main_effects_design(rows), rows[response])
    except NotEstimableError:
        return {}
    return {term: float(table[term]) for term in SLOPE_TERMS if term in table.index}


def seed_slopes(gains: pd.DataFrame) -> pd.DataFrame:
    """Per arm and slope term: the seed-level estimate of the slope (fitted within each seed,
    then t over seeds), with ``n_seeds_not_estimable`` for seeds whose own fit failed."""
    records = []
    for arm, rows in gains.dropna(subset=["xtreme_gain"]).groupby("arm", sort=True):
        per_seed = [seed_coefficients(seed_rows) for _, seed_rows in rows.groupby("seed", sort=True)]
        for term in SLOPE_TERMS:
            values = [fit[term] for fit in per_seed if term in fit]
            if not values:
                continue
            estimate = seed_estimate(values)
            records.append({"arm": arm, "term": term, **estimate.record(),
                            "n_seeds_not_estimable": len(per_seed) - len(values)})
    return pd.DataFrame(records, columns=["arm", "term", *SEED_STAT_COLUMNS, "n_seeds_not_estimable"])
