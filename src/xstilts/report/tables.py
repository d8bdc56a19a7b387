"""The report's tables: analysis frames turned into labelled text columns."""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.frame import ALL_TASKS, BASELINE_TASK
from xstilts.analysis.ols import OlsFit
from xstilts.analysis.selection import XTREME
from xstilts.report import formatting as fmt
from xstilts.report.plots import MEASURE_LABELS


def correlation_table(correlations: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "scope": correlations["scope"], "throughput": correlations["measure"].map(MEASURE_LABELS),
        "analysis": correlations["analysis"], "method": correlations["method"],
        "estimate [95% CI]": fmt.ci_column(correlations, "estimate", signed=False),
        "permutation p": correlations["p_value"].map(fmt.p_cell),
        "trials": correlations["n"], "left out (no throughput)": correlations["n_left_out"]})


def grid_table(grid: pd.DataFrame) -> pd.DataFrame:
    ordered = (grid.assign(pooled=grid["intermediate_task"].eq(ALL_TASKS))  # pooled rows last
               .sort_values(["pooled", "intermediate_task", "batch_size", "learning_rate"]))
    return pd.DataFrame({
        "intermediate task": ordered["intermediate_task"], "batch size": ordered["batch_size"].map(fmt.batch_size),
        "learning rate": ordered["learning_rate"].map(fmt.learning_rate),
        "mean XTREME gain [95% CI]": fmt.ci_column(ordered, "mean_gain"),
        "with gain": ordered["n_with_gain"].fillna(0).astype(int), "done": ordered["n_done"],
        "diverged": ordered["n_diverged"], "failed": ordered["n_failed"]})


def regression_table(fit: OlsFit) -> pd.DataFrame:
    coefficients = fit.coefficients
    return pd.DataFrame({
        "term": coefficients["term"], "estimate [95% CI]": fmt.ci_column(coefficients, "estimate"),
        "std. error": coefficients["std_error"].map(fmt.number),
        "p": coefficients["p_value"].map(fmt.p_cell)})


def task_table(table: pd.DataFrame) -> pd.DataFrame:
    """Paper layout: one row per intermediate task, one column per target task, XTREME last."""
    cells = table.assign(text=fmt.ci_column(table, "mean_gain"))
    targets = [t for t in dict.fromkeys(table["target_task"]) if t != XTREME] + [XTREME]
    wide = cells.pivot(index="intermediate_task", columns="target_task", values="text")
    wide = wide.reindex(columns=[t for t in targets if t in wide.columns]).fillna("n/a")
    return wide.reset_index().rename(columns={"intermediate_task": "intermediate task"})


def selection_table(selection: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "intermediate task": selection["intermediate_task"], "target": selection["target_task"],
        "English-dev selection": selection["english_dev"].map(fmt.number),
        "target-dev selection (oracle)": selection["target_dev"].map(fmt.number),
        "oracle gap [95% CI]": fmt.ci_column(selection, "oracle_gap", "gap_ci_low", "gap_ci_high"),
        "trials": selection["n_trials_paired"], "trials without both": selection["n_trials_unpaired"]})


def unfinished_table(trials: pd.DataFrame) -> pd.DataFrame:
    rows = trials[trials["status"] != "done"].sort_values(["status", "intermediate_task", "trial_id"])
    return pd.DataFrame({
        "trial": rows["trial_id"], "status": rows["status"], "intermediate task": rows["intermediate_task"],
        "batch size": rows["batch_size"].map(fmt.batch_size), "learning rate": rows["learning_rate"].map(fmt.learning_rate),
        "seed": rows["seed"].map(lambda s: fmt.number(s, 0)),
        "baseline": rows["intermediate_task"].eq(BASELINE_TASK).map({True: "yes", False: ""})})


def test_examples_table(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Test examples behind each target task and language, when the frame records them."""
    counts = frame.dropna(subset=["n_examples"])
    if counts.empty:
        return None
    wide = counts.groupby(["target_task", "language"])["n_examples"].max().unstack("language")
    return wide.map(lambda v: fmt.number(v, 0)).fillna("").reset_index().rename(columns={"target_task": "target task"})
