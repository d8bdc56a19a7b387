"""Every analysis of a study in one call: what the report shows, computed once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xstilts.analysis.bootstrap import DEFAULT_RESAMPLES, Estimate
from xstilts.analysis.effects import grid_effects, main_effects, seed_slopes
from xstilts.analysis.efficiency import Repeatability, batch_speedup, throughput_gain_correlations, throughput_repeatability
from xstilts.analysis.frame import (BASELINE_TASK, CURVE_COLUMNS, trial_table, validate_curves_frame,
                                    validate_results_frame)
from xstilts.analysis.frontier import setting_correlations, setting_efficiency
from xstilts.analysis.gains import cell_gains, task_gains, trial_gains
from xstilts.analysis.multiple import adjust_family
from xstilts.analysis.normalise import normalised_throughput
from xstilts.analysis.ols import NotEstimableError, OlsFit
from xstilts.analysis.sampling_error import sampling_against_seeds
from xstilts.analysis.selection import selection_comparison
from xstilts.analysis.tables import language_gain_table, setting_gain_table, task_gain_table
from xstilts.analysis.trivial import apart_targets, trivial_margins

PRIMARY_SELECTION = "english_dev"  # the zero-shot protocol: no target-language data for selection
# Throughput measures compared across settings: raw, scaled to one machine speed, and MFU.
SETTING_MEASURES = ("examples_per_s", "examples_per_s_at_reference", "mfu")


@dataclass
class StudyAnalysis:
    frame: pd.DataFrame  # the validated results frame (trivial rows included; every gain excludes them)
    trials: pd.DataFrame  # one row per trial, every status
    cells: pd.DataFrame  # gain per trial × target task × language × selection
    task_gains: pd.DataFrame  # per trial × target task (primary selection), every target
    gains: pd.DataFrame  # per trial XTREME gain (primary selection), targets reported apart left out
    grid: pd.DataFrame  # arm × batch × LR table per task and pooled, t CI over seeds
    slopes: pd.DataFrame  # per arm: batch-size and LR slopes fitted within each seed, t over seeds
    regressions: dict[str, OlsFit]  # per arm: the pooled OLS over trials (appendix)
    regression_notes: dict[str, str]  # per arm: why the regression could not be fitted
    correlations: pd.DataFrame  # within-setting partial correlations (sanity check), Holm-adjusted
    setting_correlations: pd.DataFrame  # setting-mean throughput vs gain, n = settings, Holm-adjusted
    efficiency: pd.DataFrame  # per setting: gain, device-hours, gain per device-hour, frontier
    batch_speedup: Estimate | None  # examples/s factor per doubling of batch size
    repeatability: Repeatability | None  # examples/s spread across seeds of one setting
    selection: pd.DataFrame
    task_table: pd.DataFrame  # intermediate × target task, t CI over seeds, Holm within families
    setting_table: pd.DataFrame  # setting × target task, t CI over seeds
    language_table: pd.DataFrame
    trivial: pd.DataFrame  # per target: baseline vs trivial score, margin with seed-level CI
    apart: list[str]  # targets left out of the averaged score (baseline does not beat trivial)
    sampling: pd.DataFrame  # per target: sampling error over examples against seed SD (baseline trials)
    coverage: dict[str, int]
    curves: pd.DataFrame
    n_resamples: int

    @property
    def n_seeds(self) -> int:
        """Seeds with at least one gain (the unit of replication)."""
        return int(self.gains["seed"].nunique()) if len(self.gains) else 0


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


def _regressions(gains: pd.DataFrame) -> tuple[dict[str, OlsFit], dict[str, str]]:
    fits, notes = {}, {}
    for arm, rows in gains.groupby("arm", sort=True):
        try:
            fits[arm] = main_effects(rows)
        except NotEstimableError as err:
            notes[arm] = str(err)
    return fits, notes


def _adjusted(table: pd.DataFrame) -> pd.DataFrame:
    """Holm within the table (one family); an empty table still gets the adjustment's columns."""
    return adjust_family(table) if len(table) else table.assign(p_adjusted=[], family_size=[], survives=[],
                                                                 adjustment=[])


def _throughput(gains: pd.DataFrame, n_resamples: int, rng) -> dict:
    """Setting-level correlations (the answer) and within-setting ones (the sanity check),
    each table one family for the Holm adjustment."""
    probed = normalised_throughput(gains, columns=("examples_per_s",))
    settings = setting_correlations(probed, SETTING_MEASURES)
    within = throughput_gain_correlations(gains, n_resamples=n_resamples, rng=rng)
    return {"setting_correlations": _adjusted(settings), "correlations": _adjusted(within),
            "efficiency": setting_efficiency(probed)}


def analyse_study(frame: pd.DataFrame, curves: pd.DataFrame | None = None, *,
                  n_resamples: int = DEFAULT_RESAMPLES, rng=0) -> StudyAnalysis:
    """Run every analysis on a results frame (and optional training curves)."""
    frame = validate_results_frame(frame)
    curves = validate_curves_frame(curves) if curves is not None else pd.DataFrame(columns=list(CURVE_COLUMNS))
    trials, cells = trial_table(frame), cell_gains(frame)
    trivial = trivial_margins(frame, PRIMARY_SELECTION)
    apart = apart_targets(trivial)
    primary = cells[cells["selection"] == PRIMARY_SELECTION]
    per_task, gains = task_gains(primary), trial_gains(primary[~primary["target_task"].isin(apart)])
    regressions, notes = _regressions(gains)
    return StudyAnalysis(
        frame=frame, trials=trials, cells=cells, task_gains=per_task, gains=gains,
        grid=grid_effects(gains, trials), slopes=_adjusted(seed_slopes(gains)),
        regressions=regressions, regression_notes=notes, **_throughput(gains, n_resamples, rng),
        batch_speedup=batch_speedup(gains),
        repeatability=throughput_repeatability(gains),
        selection=selection_comparison(frame, n_resamples=n_resamples, rng=rng),
        task_table=task_gain_table(per_task, gains), setting_table=setting_gain_table(per_task, gains),
        language_table=language_gain_table(cells, PRIMARY_SELECTION), trivial=trivial, apart=apart,
        sampling=sampling_against_seeds(frame, PRIMARY_SELECTION),
        coverage=coverage_counts(frame, trials, cells), curves=curves, n_resamples=n_resamples)
