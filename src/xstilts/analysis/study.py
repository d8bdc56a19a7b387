"""Every analysis of a study in one call: what the report shows, computed once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xstilts.analysis.bootstrap import DEFAULT_RESAMPLES
from xstilts.analysis.effects import grid_effects, main_effects
from xstilts.analysis.bootstrap import Estimate
from xstilts.analysis.efficiency import Repeatability, batch_speedup, throughput_gain_correlations, throughput_repeatability
from xstilts.analysis.frame import (BASELINE_TASK, CURVE_COLUMNS, trial_table, validate_curves_frame,
                                    validate_results_frame)
from xstilts.analysis.gains import cell_gains, task_gains, trial_gains
from xstilts.analysis.ols import NotEstimableError, OlsFit
from xstilts.analysis.selection import selection_comparison
from xstilts.analysis.tables import language_gain_table, setting_gain_table, task_gain_table

PRIMARY_SELECTION = "english_dev"  # the zero-shot protocol: no target-language data for selection


@dataclass
class StudyAnalysis:
    frame: pd.DataFrame  # the validated results frame
    trials: pd.DataFrame  # one row per trial, every status
    cells: pd.DataFrame  # gain per trial × target task × language × selection
    task_gains: pd.DataFrame  # per trial × target task (primary selection)
    gains: pd.DataFrame  # per trial XTREME gain (primary selection)
    grid: pd.DataFrame  # batch × LR table per task and pooled
    regression: OlsFit | None
    regression_note: str  # why the regression could not be fitted, else ""
    correlations: pd.DataFrame
    batch_speedup: Estimate | None  # examples/s factor per doubling of batch size
    repeatability: Repeatability | None  # examples/s spread across seeds of one setting
    selection: pd.DataFrame
    task_table: pd.DataFrame  # intermediate × target task, CI over trials
    setting_table: pd.DataFrame  # setting × target task, CI over seeds
    language_table: pd.DataFrame
    coverage: dict[str, int]
    curves: pd.DataFrame
    n_resamples: int


def coverage_counts(frame: pd.DataFrame, trials: pd.DataFrame, cells: pd.DataFrame) -> dict[str, int]:
    """What went into the gains and what could not, so nothing is dropped silently."""
    intermediate = trials[trials["intermediate_task"] != BASELINE_TASK]
    done_rows = frame[frame["status"] == "done"]
    return {
        "trials": len(intermediate),
        "baseline_trials": int((trials["intermediate_task"] == BASELINE_TASK).sum()),
        **{f"trials_{status}": int((intermediate["status"] == status).sum())
           for status in ("done", "diverged", "failed")},
        "baselines_not_done": int(((trials["intermediate_task"] == BASELINE_TASK)
                                   & (trials["status"] != "done")).sum()),
        "done_rows_without_score": int(done_rows["score"].isna().sum()),
        "cells_without_baseline": int(cells["gain"].isna().sum()),
        "trials_without_throughput": int(
            (intermediate["status"] == "done").sum()
            - np.isfinite(intermediate.loc[intermediate["status"] == "done", "examples_per_s"]).sum()),
    }


def _regression(gains: pd.DataFrame) -> tuple[OlsFit | None, str]:
    try:
        return main_effects(gains), ""
    except NotEstimableError as err:
        return None, str(err)


def analyse_study(frame: pd.DataFrame, curves: pd.DataFrame | None = None, *,
                  n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> StudyAnalysis:
    """Run every analysis on a results frame (and optional training curves)."""
    frame = validate_results_frame(frame)
    curves = validate_curves_frame(curves) if curves is not None else pd.DataFrame(columns=list(CURVE_COLUMNS))
    trials, cells = trial_table(frame), cell_gains(frame)
    primary = cells[cells["selection"] == PRIMARY_SELECTION]
    per_task, gains = task_gains(primary), trial_gains(primary)
    regression, note = _regression(gains)
    return StudyAnalysis(
        frame=frame, trials=trials, cells=cells, task_gains=per_task, gains=gains,
        grid=grid_effects(gains, trials, n_resamples=n_resamples, rng=rng),
        regression=regression, regression_note=note,
        correlations=throughput_gain_correlations(gains, n_resamples=n_resamples, rng=rng),
        batch_speedup=batch_speedup(gains),
        repeatability=throughput_repeatability(gains),
        selection=selection_comparison(frame, n_resamples=n_resamples, rng=rng),
        task_table=task_gain_table(per_task, gains, n_resamples=n_resamples, rng=rng),
        setting_table=setting_gain_table(per_task, gains, n_resamples=n_resamples, rng=rng),
        language_table=language_gain_table(cells, PRIMARY_SELECTION),
        coverage=coverage_counts(frame, trials, cells), curves=curves, n_resamples=n_resamples)
