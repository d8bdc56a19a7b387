"""The report's tables: analysis frames turned into labelled text columns."""

from __future__ import annotations

import re
from typing import Any, Mapping

import pandas as pd

from xstilts.analysis.frame import ALL_TASKS, BASELINE_TASK
from xstilts.analysis.ols import OlsFit
from xstilts.analysis.selection import XTREME
from xstilts.report import formatting as fmt
from xstilts.report.plots import MEASURE_LABELS


def _adjusted_columns(table: pd.DataFrame) -> dict[str, pd.Series]:
    """Raw p, the family's adjusted p and whether the claim survives (adjusted p < 0.05)."""
    return {"p": table["p_value"].map(fmt.p_cell),
            "adjusted p": table["p_adjusted"].map(fmt.p_cell) + " (" + table["adjustment"].astype(str) + ", "
            + table["family_size"].astype(int).astype(str) + " tests)",
            "survives": table["survives"].map({True: "yes", False: "no"})}


def correlation_table(correlations: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "scope": correlations["scope"], "throughput": correlations["measure"].map(MEASURE_LABELS),
        "analysis": correlations["analysis"], "method": correlations["method"],
        "estimate [95% CI]": fmt.ci_column(correlations, "estimate", signed=False),
        **_adjusted_columns(correlations),
        "trials": correlations["n"], "left out (no throughput)": correlations["n_left_out"]})


def setting_correlation_table(correlations: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "arm": correlations["arm"], "throughput": correlations["measure"].map(MEASURE_LABELS),
        "Pearson r [95% CI, Fisher z over settings]": fmt.ci_column(correlations, "estimate", signed=False),
        **_adjusted_columns(correlations), "settings": correlations["n_settings"], "seeds": correlations["n_seeds"]})


def _estimate_columns(table: pd.DataFrame, value: str = "mean") -> dict[str, pd.Series]:
    return {"mean [95% CI over seeds]": fmt.ci_column(table, value),
            "MDE (80% power)": table["mde"].map(lambda v: "n/a" if pd.isna(v) else "±" + fmt.number(v)),
            "seeds": table["n_seeds"]}


def slopes_table(slopes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"arm": slopes["arm"], "setting": slopes["term"], **_estimate_columns(slopes),
                         **_adjusted_columns(slopes)})


def gain_tests_table(task_table: pd.DataFrame) -> pd.DataFrame:
    """Every intermediate x target cell (and XTREME) with its test and adjustment."""
    return pd.DataFrame({"family": task_table["family"], "intermediate task": task_table["intermediate_task"],
                         "target": task_table["target_task"], **_estimate_columns(task_table, "mean_gain"),
                         **_adjusted_columns(task_table)})


def frontier_table(efficiency: pd.DataFrame) -> pd.DataFrame:
    rows = efficiency.sort_values("device_hours")
    return pd.DataFrame({
        "arm": rows["arm"], "intermediate task": rows["intermediate_task"],
        "batch size": rows["batch_size"].map(fmt.batch_size), "learning rate": rows["learning_rate"].map(fmt.learning_rate),
        "device-hours": rows["device_hours"].map(lambda v: fmt.number(v, 4)),
        "examples/s": rows["examples_per_s"].map(lambda v: fmt.number(v, 1)),
        "mean XTREME gain [95% CI over seeds]": fmt.ci_column(rows, "mean_gain"),
        "gain per device-hour": rows["gain_per_device_hour"].map(lambda v: fmt.number(v, 1, signed=True)),
        "on frontier": rows["on_frontier"].map({True: "yes", False: ""}), "seeds": rows["n_seeds"]})


def trivial_table(margins: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "target": margins["target_task"], "metric": margins["metric"].map(fmt.metric_label),
        "baseline": margins["baseline_score"].map(fmt.number), "trivial": margins["trivial_score"].map(fmt.number),
        "margin [95% CI over seeds]": fmt.ci_column(margins, "mean"),
        "seeds": margins["n_seeds"], "languages": margins["n_languages"],
        "in the averaged score": margins["reported_apart"].map({True: "no: reported apart", False: "yes"})})


def sampling_table(sampling: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "target": sampling["target_task"], "languages": sampling["n_languages"],
        "examples per language": sampling["examples_per_language"].map(lambda v: fmt.number(v, 0)),
        "sampling SE, per language": sampling["language_sampling_se"].map(fmt.number),
        "seed SD, per language": sampling["language_seed_sd"].map(fmt.number),
        "sampling SE, target score": sampling["task_sampling_se"].map(fmt.number),
        "seed SD, target score": sampling["task_seed_sd"].map(fmt.number),
        "seeds": sampling["n_seeds"]})


def _evaluated_split(note: object) -> str:
    """The split a target evaluates, from the study note ``... evaluate dev[1000:2000], at most ...``."""
    found = re.search(r"evaluate ([^,;]+)", str(note)) if note else None
    return found.group(1).split(" in ")[0].strip() if found else "not recorded (no study note)"


def target_table(frame: pd.DataFrame, selection: str, data_per_phase: Mapping[str, Any]) -> pd.DataFrame:
    """What each target's score is: its metric, the split it was computed on (from the study
    notes' ``data_per_phase``; the store does not record it) and the selection rule."""
    rows = frame[frame["selection"] == selection].drop_duplicates(["target_task", "metric"])
    notes = data_per_phase if isinstance(data_per_phase, Mapping) else {}
    return pd.DataFrame({
        "target": rows["target_task"], "score": rows["metric"].map(fmt.metric_label),
        "evaluated on (zero-shot, every language)": rows["target_task"].map(lambda t: _evaluated_split(notes.get(t))),
        "checkpoint selected on": "English dev" if selection == "english_dev" else selection,
    }).sort_values("target").reset_index(drop=True)


def grid_table(grid: pd.DataFrame) -> pd.DataFrame:
    ordered = (grid.assign(pooled=grid["intermediate_task"].eq(ALL_TASKS))  # pooled rows last
               .sort_values(["arm", "pooled", "intermediate_task", "batch_size", "learning_rate"]))
    return pd.DataFrame({
        "arm": ordered["arm"], "intermediate task": ordered["intermediate_task"], "batch size": ordered["batch_size"].map(fmt.batch_size),
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
    return wide.map(lambda v: fmt.number(v, 0) if pd.notna(v) else "").reset_index().rename(columns={"target_task": "target task"})
