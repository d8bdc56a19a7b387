"""The plain-language answer to the research question, generated from the numbers.

At most five sentences: batch size, learning rate, throughput <-> gain, the best intermediate
task per target, and what the study can settle (seeds, targets reported apart). Every effect is
worded from its seed-level CI and Holm-adjusted p: an estimate whose CI contains zero is "no
detectable effect (MDE ±x)", one whose CI excludes zero but does not survive the adjustment
says so, and a one-seed study is a preview whose direction nothing settles.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

from xstilts.analysis.efficiency import PARTIAL, RAW
from xstilts.analysis.frame import ALL_TASKS
from xstilts.analysis.seeds import ALPHA
from xstilts.analysis.selection import ALL_TRIALS, XTREME
from xstilts.analysis.study import StudyAnalysis
from xstilts.report import formatting as fmt

PRIMARY_MEASURE = "examples_per_s"
FEW_SEEDS = 5
SLOPE_WORDS = {"log2_batch_size": "per doubling of the intermediate batch size",
               "log10_learning_rate": "per tenfold intermediate learning rate"}


def effect_phrase(row: Mapping[str, Any], value: str = "mean", unit: str = "points") -> str:
    """One estimate in words: detected (and whether it survives Holm), not detectable, or a preview."""
    mean, low, high = row[value], row["ci_low"], row["ci_high"]
    if int(row["n_seeds"]) < 2 or not math.isfinite(low):
        return f"{fmt.number(mean, signed=True)} {unit} (one seed: a preview, direction not settled)"
    interval = f"{fmt.with_ci(mean, low, high, signed=True)} {unit}"
    if low <= 0 <= high:
        return f"no detectable effect (MDE ±{fmt.number(row['mde'])}; {interval})"
    adjusted = f"Holm-adjusted {fmt.p_value(row['p_adjusted'])}"
    if row.get("survives"):
        return f"{interval} ({adjusted})"
    return f"{interval} ({fmt.p_value(row['p_value'])}, {adjusted}: does not survive adjustment)"


def settings_answer(analysis: StudyAnalysis, term: str) -> str | None:
    """The slope of the XTREME gain on one setting, fitted within each seed, per arm."""
    rows = analysis.slopes[analysis.slopes["term"] == term]
    if rows.empty:
        return None
    parts = [f"{row['arm']}: {effect_phrase(row)}" for _, row in rows.iterrows()]
    seeds = int(rows["n_seeds"].max())
    return (f"XTREME gain {SLOPE_WORDS[term]} (slope fitted within each seed, t over {seeds} seed(s); arms apart) — "
            + "; ".join(parts) + ".")


def _correlation_words(row: pd.Series) -> str:
    text = f"r = {fmt.number(row['estimate'])} over {int(row['n_settings'])} settings"
    if math.isfinite(row["ci_low"]):
        text += f" [{fmt.number(row['ci_low'])}, {fmt.number(row['ci_high'])}] (Fisher z)"
    return (text + f", {fmt.p_value(row['p_value'])}, Holm-adjusted {fmt.p_value(row['p_adjusted'])} "
            f"({int(row['family_size'])} tests)")


def _frontier_words(analysis: StudyAnalysis) -> str:
    efficiency = analysis.efficiency
    if efficiency.empty:
        return ""
    frontier = efficiency[efficiency["on_frontier"].astype(bool)]
    if frontier.empty:
        return ("; on the efficiency frontier no setting's mean gain is above the baseline's 0, so within every "
                "budget no intermediate phase is the best choice")
    best, cheap = frontier.iloc[-1], frontier.iloc[0]
    text = (f"; on the efficiency frontier (from the baseline: 0 device-hours, gain 0) the best mean gain is "
            f"{_setting_gain(best)} for {fmt.number(best['device_hours'], 3)} intermediate device-hours "
            f"({fmt.setting(best)}){_picked_after_the_fact(best, len(efficiency))}")
    if len(frontier) > 1:
        text += (f"; the cheapest setting above 0 gains {_setting_gain(cheap)} for "
                 f"{fmt.number(cheap['device_hours'], 3)} ({fmt.setting(cheap)})")
    return text


def _setting_gain(row: pd.Series) -> str:
    return f"{fmt.with_ci(row['mean_gain'], row['ci_low'], row['ci_high'], signed=True)} points"


def _picked_after_the_fact(best: pd.Series, n_settings: int) -> str:
    # The frontier's best is the maximum of many noisy means, chosen after seeing them: its own
    # interval is optimistic, so its p is Bonferroni-adjusted over every setting it was picked from.
    if int(best["n_seeds"]) < 2 or not math.isfinite(best["ci_low"]):
        return ""
    picked = f", the best of {n_settings} settings, picked after the fact"
    if best["ci_low"] <= 0 <= best["ci_high"]:
        return f"{picked}, and still no detectable gain (MDE ±{fmt.number(best['mde'])})"
    adjusted = f"Bonferroni-adjusted {fmt.p_value(min(1.0, best['p_value'] * n_settings))} over the {n_settings}"
    if best["p_value"] * n_settings < ALPHA:
        return f"{picked} ({adjusted})"
    return f"{picked} ({fmt.p_value(best['p_value'])}, {adjusted}: does not survive adjustment)"


def throughput_answer(analysis: StudyAnalysis) -> str:
    rows = analysis.setting_correlations
    rows = rows[(rows["measure"] == PRIMARY_MEASURE) & rows["estimate"].map(math.isfinite)]
    if rows.empty:
        return ("Too few settings with a measured throughput to relate setting-mean throughput to the XTREME "
                f"gain{_frontier_words(analysis)}.")
    parts = [f"{row['arm']}: {_correlation_words(row)}" for _, row in rows.iterrows()]
    return ("Setting-mean intermediate throughput (examples/s) against setting-mean XTREME gain — "
            + "; ".join(parts) + f" — is confounded with batch size ({_speedup_words(analysis)}), so it "
            f"describes the grid, not speed itself{_frontier_words(analysis)}.")


def _speedup_words(analysis: StudyAnalysis) -> str:
    speedup = analysis.batch_speedup
    if speedup is None:
        return "bigger batches run faster"
    if analysis.n_seeds < 2:  # one seed claims no interval
        return f"examples/s ×{fmt.number(speedup.value)} per doubling of the batch size"
    return (f"examples/s ×{fmt.with_ci(speedup.value, speedup.ci_low, speedup.ci_high)} per doubling of the "
            "batch size, fitted within each seed, t over seeds")


def best_task_answer(analysis: StudyAnalysis) -> str:
    table = analysis.task_table
    if table.empty:
        return "No finished trial could be paired with a baseline, so no gains can be reported."
    parts = []
    targets = [XTREME] + sorted(t for t in table["target_task"].unique() if t != XTREME)
    for target in targets:
        rows = table[table["target_task"] == target]
        if rows.empty:
            continue
        row = rows.loc[rows["mean_gain"].idxmax()]
        apart = " (reported apart: baseline does not beat trivial)" if target in analysis.apart else ""
        parts.append(f"{target}{apart}: {row['intermediate_task']}, {effect_phrase(row, 'mean_gain')}")
    return "Best intermediate task per target (mean over its grid and seeds) — " + "; ".join(parts) + "."


def scope_answer(analysis: StudyAnalysis) -> str:
    seeds = analysis.n_seeds
    if seeds < 2:
        text = ("This study has one seed: it previews and cannot settle the direction of any effect, "
                "and no confidence intervals are claimed")
    else:
        text = (f"Each estimate replicates over {seeds} seeds (t intervals over per-seed means"
                + (f", fewer than {FEW_SEEDS} seeds, so intervals are wide" if seeds < FEW_SEEDS else "") + ")")
    if analysis.trivial.empty:
        return text + "; no trivial scores stored, so no target is checked against a trivial predictor."
    if analysis.apart:
        return (text + f"; reported apart and left out of the averaged XTREME-style score, because their baseline "
                f"does not beat the trivial predictor: {', '.join(analysis.apart)}.")
    return text + "; every target's baseline beats its trivial predictor."


def headline(analysis: StudyAnalysis) -> list[str]:
    """At most five sentences, in the order the research question asks."""
    sentences = [settings_answer(analysis, "log2_batch_size"), settings_answer(analysis, "log10_learning_rate"),
                 throughput_answer(analysis), best_task_answer(analysis), scope_answer(analysis)]
    if sentences[0] is None and sentences[1] is None:
        sentences[0] = ("Too few batch sizes or learning rates have finished trials to estimate their effects "
                        "(the slopes need at least two values of each within a seed).")
    return [text for text in sentences if text]


def _row(correlations: pd.DataFrame, analysis: str, method: str) -> pd.Series | None:
    rows = correlations[(correlations["scope"] == ALL_TASKS) & (correlations["measure"] == PRIMARY_MEASURE)
                        & (correlations["analysis"] == analysis) & (correlations["method"] == method)]
    return rows.iloc[0] if len(rows) else None


def sanity_check_text(analysis: StudyAnalysis) -> str:
    """The within-setting partial correlation, worded as what it is: a check, not the answer."""
    raw, partial = _row(analysis.correlations, RAW, "spearman"), _row(analysis.correlations, PARTIAL, "partial pearson")
    if raw is None or partial is None or not math.isfinite(partial["estimate"]):
        return "Too few finished trials to compute the within-setting partial correlation."
    return ("Sanity check, not an answer: holding batch size, learning rate, task and seed fixed, what is left of "
            "throughput is machine load, which cannot change the model; the partial correlation of log-throughput "
            f"with the XTREME gain there is r = {fmt.with_ci(partial['estimate'], partial['ci_low'], partial['ci_high'])} "
            f"({fmt.p_value(partial['p_value'])}, Holm-adjusted {fmt.p_value(partial['p_adjusted'])}, "
            f"{int(partial['n'])} trials), and it should be null.{_repeatability_words(analysis)}")


def _repeatability_words(analysis: StudyAnalysis) -> str:
    spread = analysis.repeatability
    if spread is None:
        return ""
    return (f" At the same settings, examples/s differed between seeds by a median {spread.median_cv:.1%} "
            f"(coefficient of variation over {spread.n_settings} settings; at most ×{spread.max_ratio:.2f} between "
            "the fastest and the slowest seed): that variation is all the partial correlation has.")


def selection_text(analysis: StudyAnalysis) -> str:
    rows = analysis.selection[(analysis.selection["intermediate_task"] == ALL_TRIALS)
                              & (analysis.selection["target_task"] == XTREME)]
    if rows.empty or not math.isfinite(rows.iloc[0]["oracle_gap"]):
        return "Scores under target-language dev selection (the oracle) are not in the store."
    row = rows.iloc[0]
    return ("Selecting checkpoints on target-language dev data (an oracle that zero-shot transfer may not use) "
            f"would change XTREME scores by {fmt.with_ci(row['oracle_gap'], row['gap_ci_low'], row['gap_ci_high'], signed=True)} "
            "points over English-dev selection (bootstrap CI over trials); all gains use English-dev selection.")


def reliability_text(analysis: StudyAnalysis) -> str:
    counts = analysis.coverage
    return (f"{counts['trials_diverged']} of {counts['trials']} intermediate trials diverged and "
            f"{counts['trials_failed']} failed; they have no gains, are listed below, and are not in any estimate.")


def note_text(value: Any) -> str:
    """A study-note value as text; a mapping reads ``key: value; key: value``."""
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {note_text(item)}" for key, item in value.items())
    return str(value)


def sampling_text(sampling: pd.DataFrame) -> str:
    """Which targets' scores have a sampling error below their seed SD, in numbers."""
    trained = sampling[sampling["task_seed_sd"] > 0]
    untrained = sampling.loc[sampling["task_seed_sd"] == 0, "target_task"].tolist()
    words = []
    for small, label in ((True, "below"), (False, "not below")):
        rows = trained[(trained["task_sampling_se"] < trained["task_seed_sd"]) == small]
        if len(rows):
            words.append(f"the target score's sampling SE is {label} its seed SD for " + ", ".join(
                f"{row['target_task']} ({fmt.number(row['task_sampling_se'])} vs {fmt.number(row['task_seed_sd'])})"
                for _, row in rows.iterrows()))
    noisy_languages = trained[trained["language_sampling_se"] >= trained["language_seed_sd"]]
    if len(noisy_languages):
        words.append("per language it is not, for " + ", ".join(
            f"{row['target_task']} ({fmt.number(row['language_sampling_se'])} vs {fmt.number(row['language_seed_sd'])})"
            for _, row in noisy_languages.iterrows()) + ": read single languages' gains with that in mind")
    if untrained:
        verb, whose = ("trains", "its") if len(untrained) == 1 else ("train", "their")
        words.append(f"{', '.join(untrained)} {verb} nothing (seed SD 0): sampling error is {whose} only uncertainty")
    if sampling["task_seed_sd"].isna().all():
        words.append("with one seed there is no seed SD to compare with")
    text = "; ".join(words)
    return f"{text[0].upper()}{text[1:]}." if text else ""
