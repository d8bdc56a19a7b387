"""The plain-language answer to the research question, generated from the numbers.

Every claim is worded from a CI: an association is called clear only when its 95% CI
excludes zero, and the wording separates "bigger batches run faster" (raw correlation)
from "faster runs transfer better" (partial correlation at fixed settings).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

from xstilts.analysis.bootstrap import Estimate
from xstilts.analysis.efficiency import PARTIAL, RAW, Repeatability
from xstilts.analysis.frame import ALL_TASKS
from xstilts.analysis.selection import ALL_TRIALS, XTREME
from xstilts.analysis.study import StudyAnalysis
from xstilts.report import formatting as fmt

PRIMARY_MEASURE = "examples_per_s"
FEW_SEEDS = 5


NORMALISED_MEASURE = "examples_per_s_at_reference"


def _row(correlations: pd.DataFrame, analysis: str, method: str, measure: str = PRIMARY_MEASURE) -> pd.Series | None:
    rows = correlations[(correlations["scope"] == ALL_TASKS) & (correlations["measure"] == measure)
                        & (correlations["analysis"] == analysis) & (correlations["method"] == method)]
    return rows.iloc[0] if len(rows) else None


def _sign(row: pd.Series) -> int:
    """+1 / -1 when the CI excludes zero on that side, 0 when it does not (or is undefined)."""
    return 1 if row["ci_low"] > 0 else -1 if row["ci_high"] < 0 else 0


def _described(row: pd.Series, symbol: str) -> str:
    return f"{symbol} = {fmt.with_ci(row['estimate'], row['ci_low'], row['ci_high'])} ({fmt.p_value(row['p_value'])})"


def _verdict(raw_sign: int, partial_sign: int) -> str:
    direction = {1: "better", -1: "worse"}
    if raw_sign and not partial_sign:
        return ("so the raw association comes from the settings (runs with other batch sizes, learning rates or "
                "tasks differ both in speed and in gain), not from speed itself: at the same settings, faster runs "
                "do not measurably transfer better or worse.")
    if partial_sign:
        lead = "even" if raw_sign == partial_sign else "although the raw association is not clear or differs,"
        return (f"so {lead} at the same batch size, learning rate and task, faster runs transfer "
                f"{direction[partial_sign]}: the association is not only a batch-size effect.")
    return "so these data show no clear link between training speed and transfer."


def normalised_sentence(correlations: pd.DataFrame) -> str:
    """The same correlation with examples/s scaled to one machine speed (xstilts.analysis.normalise),
    when every trial's phase probed the machine: raw rates from a busy and a quiet day differ."""
    row = _row(correlations, RAW, "spearman", NORMALISED_MEASURE)
    if row is None or not math.isfinite(row["estimate"]):
        return "(Examples/s are raw: these trials carry no machine-speed probe to correct them.) "
    return (f"Scaled to one machine speed (examples/s at the median matmul probe of {int(row['n'])} trials), "
            f"Spearman {_described(row, 'ρ')}. ")


def speedup_sentence(speedup: Estimate | None) -> str:
    if speedup is None:
        return ""
    factor = f"×{fmt.with_ci(speedup.value, speedup.ci_low, speedup.ci_high)}"
    if speedup.ci_low > 1:
        return f"Bigger batches ran faster: each doubling of the batch size multiplied examples/s by {factor}. "
    if speedup.ci_high < 1:
        return f"Bigger batches ran slower: each doubling of the batch size multiplied examples/s by {factor}. "
    return f"Batch size did not clearly change throughput ({factor} examples/s per doubling). "


def repeatability_sentence(spread: Repeatability | None) -> str:
    if spread is None:
        return ""
    return (f" At the same settings, examples/s differed between seeds by a median {spread.median_cv:.1%} "
            f"(coefficient of variation over {spread.n_settings} settings; at most ×{spread.max_ratio:.2f} "
            "between the fastest and the slowest seed): there, only data order and the machine's load move "
            "throughput, and that variation is what the partial correlation relates to the gain.")


def efficiency_answer(analysis: StudyAnalysis) -> str:
    spearman, pearson = _row(analysis.correlations, RAW, "spearman"), _row(analysis.correlations, RAW, "pearson")
    partial = _row(analysis.correlations, PARTIAL, "partial pearson")
    if spearman is None or partial is None or not math.isfinite(spearman["estimate"]):
        return (f"Too few finished trials with a measured throughput ({len(analysis.gains)}) to estimate how "
                "throughput relates to the XTREME gain.")
    text = (f"Across {int(spearman['n'])} finished trials, intermediate-phase throughput (examples/s) and XTREME "
            f"gain correlate at Spearman {_described(spearman, 'ρ')}; Pearson {_described(pearson, 'r')}. ")
    text += normalised_sentence(analysis.correlations) + speedup_sentence(analysis.batch_speedup)
    if not math.isfinite(partial["estimate"]):
        return text + "The partial correlation at fixed settings could not be estimated (too few trials)."
    text += (f"Holding batch size, learning rate (log scale), intermediate task and seed fixed, the partial correlation "
             f"is {_described(partial, 'r')}, ")
    return text + _verdict(_sign(spearman), _sign(partial)) + repeatability_sentence(analysis.repeatability)


def _coefficient(analysis: StudyAnalysis, term: str) -> pd.Series | None:
    table = analysis.regression.coefficients
    rows = table[table["term"] == term]
    return rows.iloc[0] if len(rows) else None


def effects_answer(analysis: StudyAnalysis) -> str:
    if analysis.regression is None:
        return f"The main effects of batch size and learning rate could not be estimated: {analysis.regression_note}."
    parts = []
    for term, change in (("log2_batch_size", "per doubling of the batch size"),
                         ("log10_learning_rate", "per tenfold increase of the learning rate")):
        row = _coefficient(analysis, term)
        if row is not None:
            parts.append(f"by {fmt.with_ci(row['estimate'], row['ci_low'], row['ci_high'], signed=True)} points {change}")
    if not parts:
        return "The study used a single batch size and learning rate, so their effects cannot be estimated."
    return (f"Holding the other settings and the task fixed, the XTREME gain changes {' and '.join(parts)} "
            f"(least squares over {analysis.regression.n} trials, R² = {fmt.number(analysis.regression.r_squared)}).")


def task_answer(analysis: StudyAnalysis) -> str:
    rows = analysis.task_table[analysis.task_table["target_task"] == XTREME]
    if rows.empty:
        return "No finished trial could be paired with a baseline, so no gains can be reported."
    described = "; ".join(
        f"{row.intermediate_task}: {fmt.with_ci(row.mean_gain, row.ci_low, row.ci_high, signed=True)} "
        f"({row.n_trials} trials)" for row in rows.itertuples())
    return ("Averaged over the batch-size × learning-rate grid and seeds, intermediate training changed the "
            f"XTREME score relative to no intermediate task by: {described}.")


def selection_answer(analysis: StudyAnalysis) -> str:
    rows = analysis.selection[(analysis.selection["intermediate_task"] == ALL_TRIALS)
                              & (analysis.selection["target_task"] == XTREME)]
    if rows.empty or not math.isfinite(rows.iloc[0]["oracle_gap"]):
        return "Scores under target-language dev selection (the oracle) are not in the store."
    row = rows.iloc[0]
    return ("Selecting checkpoints on target-language dev data (an oracle that zero-shot transfer may not use) "
            f"would change XTREME scores by {fmt.with_ci(row['oracle_gap'], row['gap_ci_low'], row['gap_ci_high'], signed=True)} "
            "points over English-dev selection; all gains above use English-dev selection.")


def reliability_answer(analysis: StudyAnalysis) -> str:
    counts = analysis.coverage
    text = (f"{counts['trials_diverged']} of {counts['trials']} intermediate trials diverged and "
            f"{counts['trials_failed']} failed; they have no gains, are listed below, and are not in any estimate.")
    per_cell = analysis.grid[analysis.grid["intermediate_task"] != ALL_TASKS]["n_with_gain"].dropna()
    if len(per_cell) and per_cell.max() < FEW_SEEDS:
        text += (f" Each setting has at most {int(per_cell.max())} seeds, so CIs over seeds are rough and "
                 "likely too narrow.")
    return text


def note_text(value: Any) -> str:
    """A study-note value as text; a mapping reads ``key: value; key: value``."""
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {note_text(item)}" for key, item in value.items())
    return str(value)


def data_answer(study_notes: Mapping[str, Any]) -> str | None:
    """How much data each phase saw, when the study notes say so (key ``data_per_phase``)."""
    per_phase = study_notes.get("data_per_phase")
    if not per_phase:
        return None
    return f"Data seen per phase — {note_text(per_phase)}."


def headline(analysis: StudyAnalysis, study_notes: Mapping[str, Any]) -> list[str]:
    paragraphs = [efficiency_answer(analysis), effects_answer(analysis), task_answer(analysis),
                  selection_answer(analysis), reliability_answer(analysis), data_answer(study_notes)]
    return [text for text in paragraphs if text]
