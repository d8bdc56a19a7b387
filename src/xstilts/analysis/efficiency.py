"""Trial-level and within-setting correlations of throughput with the XTREME gain: the report's
sanity check, not its answer (that is ``frontier.setting_correlations``, across settings).

At fixed settings and seed, what is left of throughput is machine load, which cannot change the
model, so the partial correlation below should be null; a non-null one flags a problem (a
confound the settings do not capture). Bigger batches run faster (more examples/s), so a raw
throughput-gain correlation can come from batch size alone. The partial correlation removes what batch size, learning rate,
intermediate task and seed explain from both variables; what remains asks whether, at the same
settings, the faster runs transfer better. The seed is held fixed because a seed's trials share
their baseline (every gain is against the same-seed baseline) and, as a sweep runs seed by
seed, the machine's state at the time: either can move all of a seed's gains and throughputs
together without a faster run transferring better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xstilts.analysis.bootstrap import DEFAULT_RESAMPLES, Estimate
from xstilts.analysis.correlation import Correlation, correlate, partial_correlation
from xstilts.analysis.design import setting_columns
from xstilts.analysis.effects import seed_coefficients
from xstilts.analysis.frame import ALL_TASKS, THROUGHPUT_COLUMNS
from xstilts.analysis.normalise import normalised_throughput
from xstilts.analysis.seeds import seed_estimate

# Throughput corrected for the machine's speed (the matmul probe at each phase's start and end):
# raw examples/s from a busy day are not comparable with a quiet day's; these are.
NORMALISED_COLUMNS = ("examples_per_s_at_reference", "mfu")

RAW = "raw"
PARTIAL = "partial, log-scale settings"
PARTIAL_LEVELS = "partial, settings as categories"


def _analyses(trials: pd.DataFrame, measure: str, include_task: bool, n_resamples: int, rng) -> dict:
    x, gain = trials[measure].to_numpy(float), trials["xtreme_gain"].to_numpy(float)
    # Throughput scales multiplicatively with batch size; its log is what a linear fit on
    # log2(batch) can explain.
    log_x = np.log(x)
    results: dict[tuple[str, str], Correlation] = {
        (RAW, method): correlate(x, gain, method, n_resamples=n_resamples, rng=rng)
        for method in ("pearson", "spearman")}
    for label, categorical in ((PARTIAL, False), (PARTIAL_LEVELS, True)):
        controls = setting_columns(trials, include_task=include_task, categorical_grid=categorical, include_seed=True)
        results[(label, "pearson")] = partial_correlation(log_x, gain, controls.to_numpy(),
                                                          n_resamples=n_resamples, rng=rng)
    return results


def _scopes(trials: pd.DataFrame):
    yield ALL_TASKS, trials, True
    for task, group in trials.groupby("intermediate_task", sort=True):
        yield task, group, False


def throughput_gain_correlations(trials: pd.DataFrame, *, n_resamples: int = DEFAULT_RESAMPLES,
                                 rng=0) -> pd.DataFrame:
    """Raw and partial correlations of each throughput measure with the XTREME gain.

    ``trials`` has one row per trial (``trial_gains`` for one selection rule). Computed over
    all intermediate tasks (task held fixed in the partial) and within each task. Trials
    without a positive, finite throughput are left out; ``n`` says how many were used.
    """
    records = []
    trials = normalised_throughput(trials, columns=("examples_per_s",))
    probed = [c for c in NORMALISED_COLUMNS if c in trials and np.isfinite(trials[c].to_numpy(float)).any()]
    for scope, group, include_task in _scopes(trials):
        for measure in (*THROUGHPUT_COLUMNS, *probed):
            usable = group[np.isfinite(group[measure]) & (group[measure] > 0) & np.isfinite(group["xtreme_gain"])]
            for (analysis, _method), result in _analyses(usable, measure, include_task, n_resamples, rng).items():
                records.append({"scope": scope, "measure": measure, "analysis": analysis, "method": result.method,
                                "estimate": result.estimate, "ci_low": result.ci_low, "ci_high": result.ci_high,
                                "p_value": result.p_value, "n": result.n, "n_left_out": len(group) - len(usable)})
    return pd.DataFrame(records)


def batch_speedup(trials: pd.DataFrame) -> Estimate | None:
    """How many times faster (examples/s) a run got per doubling of batch size, at fixed learning
    rate and task: 2 ** the slope fitted within each seed, with a t interval over seeds (the seed
    is the unit of replication: a seed's trials share its days' machine load). None when no
    seed's fit is identified."""
    usable = trials[np.isfinite(trials["examples_per_s"]) & (trials["examples_per_s"] > 0)]
    usable = usable.assign(log2_examples_per_s=np.log2(usable["examples_per_s"].to_numpy(float)))
    per_seed = [seed_coefficients(rows, "log2_examples_per_s") for _, rows in usable.groupby("seed", sort=True)]
    slopes = [fit["log2_batch_size"] for fit in per_seed if "log2_batch_size" in fit]
    if not slopes:
        return None
    estimate = seed_estimate(slopes)
    return Estimate(2 ** estimate.mean, 2 ** estimate.ci_low, 2 ** estimate.ci_high, estimate.n_seeds)


SETTING_KEYS = ["intermediate_task", "batch_size", "learning_rate", "target_settings"]


@dataclass(frozen=True)
class Repeatability:
    """How much examples/s varied between seeds of one setting. At fixed settings only data order
    and the machine's load move throughput, and that variation is all a partial correlation has."""

    median_cv: float  # median over settings of SD / mean (SD with ddof=1)
    max_ratio: float  # the largest fastest / slowest ratio within one setting
    n_settings: int  # settings with at least two measured seeds


def throughput_repeatability(trials: pd.DataFrame) -> Repeatability | None:
    """Spread of examples/s across seeds of the same setting; None when no setting has two."""
    usable = trials[np.isfinite(trials["examples_per_s"]) & (trials["examples_per_s"] > 0)]
    groups = [g["examples_per_s"].to_numpy(float) for _, g in usable.groupby(SETTING_KEYS, dropna=False) if len(g) > 1]
    if not groups:
        return None
    cvs = [values.std(ddof=1) / values.mean() for values in groups]
    return Repeatability(float(np.median(cvs)), float(max(v.max() / v.min() for v in groups)), len(groups))
