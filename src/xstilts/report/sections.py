"""The report's sections, in reading order: the answer, the evidence, then the appendix.

Each section appears once. The answer is at most five generated sentences; the long tables
(correlations, model selection, the pooled regression, every test with its adjustment) are in
the appendix.
"""

from __future__ import annotations

from typing import Any, Mapping

from xstilts.analysis.frame import BASELINE_TASK
from xstilts.analysis.study import PRIMARY_SELECTION, StudyAnalysis
from xstilts.report import figures, tables
from xstilts.report.document import BulletList, Document, Paragraph, Section, Table
from xstilts.report.narrative import (headline, note_text, reliability_text, sampling_text, sanity_check_text,
                                      selection_text)

EVALUATED = ("Scores are on the held-out split each target evaluates (dev or test: see 'What each target's score "
             "is' under Study), zero-shot in every language, with checkpoints selected on English dev data; QA "
             "targets (XQuAD, MLQA, TyDiQA) are scored as (EM+F1)/2.")


def answer_section(analysis: StudyAnalysis) -> Section:
    return Section("Answer", [Paragraph(text) for text in headline(analysis)])


def effects_section(analysis: StudyAnalysis) -> Section:
    blocks = [Paragraph("Batch size and learning rate, per arm: 'fixed epochs' trials see the same examples, so a "
                        "bigger batch also means fewer optimizer steps; 'fixed steps' trials hold the number of steps "
                        "(intermediate.train.max_steps), so a bigger batch sees more examples. The arms are never "
                        "pooled."), *figures.grid_figures(analysis)]
    if not analysis.slopes.empty:
        blocks.append(Table("XTREME gain per doubling of batch size and per tenfold learning rate: the slope fitted "
                            "within each seed, then a t interval over seeds; Holm over every slope",
                            tables.slopes_table(analysis.slopes)))
    return Section("Batch size and learning rate", blocks)


def efficiency_section(analysis: StudyAnalysis) -> Section:
    intro = Paragraph(
        "Throughput is compared across settings: each setting's mean examples/s against its mean XTREME gain "
        "(n = settings; t-test p and Fisher z interval, the interval from two seeds on; seed noise in the setting "
        "means pulls r towards 0). Across settings throughput is mostly batch size, so "
        "this association is confounded with batch size. The frontier shows the best mean gain reachable within a "
        "budget of intermediate device-hours, and which setting gives it; it starts at the baseline (no "
        "intermediate phase: 0 device-hours, gain 0), so a setting that loses points is on it at no budget.")
    blocks = [intro, *figures.efficiency_figures(analysis)]
    if not analysis.setting_correlations.empty:
        blocks.append(Table("Setting-mean throughput against setting-mean XTREME gain (Holm over the table)",
                            tables.setting_correlation_table(analysis.setting_correlations)))
    if not analysis.efficiency.empty:
        blocks.append(Table("Per setting: device-hours, gain and gain per device-hour (cheapest first)",
                            tables.frontier_table(analysis.efficiency)))
    return Section("Throughput, device-hours and the efficiency frontier", blocks)


def gains_section(analysis: StudyAnalysis) -> Section:
    blocks = [Paragraph("Gains are differences to the no-intermediate baseline with the same seed and target "
                        "settings, averaged within each seed first; CIs are t intervals over the per-seed means. "
                        "XTREME averages each target task over its languages, then over the tasks in the averaged "
                        "score. " + EVALUATED)]
    if not analysis.task_table.empty:
        blocks.append(Table("Mean gain per intermediate and target task [95% t interval over seeds]",
                            tables.task_table(analysis.task_table)))
    blocks += [*figures.task_figures(analysis), *figures.language_figures(analysis)]
    return Section("Gains by target task and language", blocks)


def trivial_section(analysis: StudyAnalysis) -> Section:
    if analysis.trivial.empty:
        return Section("Targets against a trivial predictor", [Paragraph(
            "No trivial scores stored: no target is checked against a trivial predictor, and every target is in the "
            "averaged score.")])
    apart = (f"Reported apart (left out of the averaged XTREME-style score): {', '.join(analysis.apart)}."
             if analysis.apart else "Every target's baseline beats its trivial predictor.")
    return Section("Targets against a trivial predictor", [
        Paragraph("The baseline (no intermediate task) against a trivial predictor (the training data's majority "
                  "label, its most frequent tag for every word, the empty answer) on the same evaluated lines and "
                  "metric; margin per seed, then a t interval over seeds (with one seed, the point margin decides). "
                  "Retrieval tasks (Tatoeba, BUCC) train nothing and are not checked. A target whose margin's lower "
                  "bound is not above zero is reported apart. " + apart),
        Table("Baseline vs trivial score per target", tables.trivial_table(analysis.trivial))])


def sampling_section(analysis: StudyAnalysis) -> Section:
    title = "Evaluation sets: sampling error against seed variance"
    if analysis.sampling.empty:
        return Section(title, [Paragraph(
            "No sampling errors stored (scores written before xstilts stored them, or BUCC only): the evaluation "
            "sets' sampling error is not compared with the seed variance.")])
    return Section(title, [
        Paragraph("Two uncertainties of a target's score: which test examples were drawn (sampling error: the "
                  "bootstrap standard error over the evaluated examples) and which seed trained the model (seed SD: "
                  "the baseline's score over seeds, on the same examples). Every estimate here replicates over seeds, "
                  "so an evaluation set is large enough when its sampling error is small next to the seed SD. "
                  "Baseline trials, per language (median over the target's languages) and for the target's score "
                  "(mean over its languages). " + sampling_text(analysis.sampling)),
        Table("Sampling error and seed SD of each target's baseline score (points)", tables.sampling_table(analysis.sampling))])


def _grid_levels(analysis: StudyAnalysis) -> list[str]:
    trials = analysis.trials[analysis.trials["intermediate_task"] != BASELINE_TASK]
    levels = {"intermediate tasks": sorted(trials["intermediate_task"].unique()),
              "arms": sorted(trials["arm"].unique()),
              "batch sizes": sorted(trials["batch_size"].dropna().unique()),
              "learning rates": sorted(trials["learning_rate"].dropna().unique()),
              "seeds": sorted(analysis.trials["seed"].dropna().unique())}
    return [f"{name}: {', '.join(f'{v:g}' if isinstance(v, float) else str(v) for v in values)}"
            for name, values in levels.items()]


def study_section(analysis: StudyAnalysis, study_notes: Mapping[str, Any]) -> Section:
    counts = analysis.coverage
    items = [f"{counts['trials']} intermediate trials ({counts['trials_done']} done, {counts['trials_diverged']} "
             f"diverged, {counts['trials_failed']} failed) and {counts['baseline_trials']} baseline trials "
             f"({counts['baselines_not_done']} not done)", *_grid_levels(analysis),
             f"score rows of finished trials without a score: {counts['done_rows_without_score']}",
             f"scores without a same-seed, same-settings baseline (no gain): {counts['cells_without_baseline']}",
             f"finished trials without a throughput measurement: {counts['trials_without_throughput']}"]
    items += [f"{key}: {note_text(value)}" for key, value in study_notes.items()]
    blocks = [Paragraph(reliability_text(analysis)), BulletList(tuple(items)),
              Table("What each target's score is", tables.target_table(analysis.frame, PRIMARY_SELECTION,
                                                                       study_notes.get("data_per_phase") or {}))]
    examples = tables.test_examples_table(analysis.frame)
    if examples is not None:
        blocks.append(Table("Examples evaluated per target task and language", examples))
    return Section("Study", blocks)


def unfinished_section(analysis: StudyAnalysis) -> Section:
    listed = tables.unfinished_table(analysis.trials)
    if listed.empty:
        return Section("Diverged and failed trials", [Paragraph("Every trial finished.")])
    return Section("Diverged and failed trials", [
        Paragraph(f"{len(listed)} trials did not finish. They are kept in the counts above and left out of every "
                  "gain, correlation and regression."),
        Table("Trials that diverged or failed", listed)])


def curves_section(analysis: StudyAnalysis) -> Section:
    rendered = figures.curve_figures(analysis)
    return Section("Training curves", rendered or [Paragraph("No training curves were recorded.")])


def method_section(analysis: StudyAnalysis) -> Section:
    return Section("How the numbers were computed", [BulletList((
        f"All gains use {PRIMARY_SELECTION} checkpoint selection unless a table says otherwise.",
        "The seed is the unit of replication: gains are averaged within each seed (every seed's baseline travels "
        "with its trials), and CIs are Student-t intervals over the per-seed means, p-values one-sample t-tests; "
        "with one seed no CI or p is given.",
        "MDE: the effect a two-sided t-test at alpha 0.05 detects with 80% power, "
        "(t_{0.975,n-1} + t_{0.8,n-1}) × SD of the per-seed values / sqrt(n seeds).",
        "Holm's adjustment within each family: the XTREME gain of every intermediate task; every intermediate × "
        "target cell; every batch-size and learning-rate slope; the setting-level correlations; the within-setting "
        "correlations. 'survives' means adjusted p < 0.05.",
        "Setting-level correlations: Pearson r over setting means, t-test p and Fisher z CI on n = settings (what a "
        "seed shares with all its settings, its baseline or a slow day, cancels in r); "
        f"within-setting correlations and the oracle gap use trial-level bootstrap and permutation tests "
        f"({analysis.n_resamples} resamples) and are sanity checks only.",
    ))])


def appendix_section(analysis: StudyAnalysis) -> Section:
    blocks = [Paragraph(sanity_check_text(analysis))]
    if not analysis.correlations.empty:
        blocks.append(Table("Sanity check: trial-level and within-setting correlations of throughput with XTREME "
                            "gain (Holm over the table)", tables.correlation_table(analysis.correlations)))
    if not analysis.task_table.empty:
        blocks.append(Table("Every gain test with its family's adjustment", tables.gain_tests_table(analysis.task_table)))
    blocks.append(Table("Mean XTREME gain per setting (95% t interval over seeds); 'all tasks' pools the intermediate "
                        "tasks", tables.grid_table(analysis.grid)))
    for arm, fit in analysis.regressions.items():
        blocks.append(Table(f"Pooled OLS over trials ({arm}; treats trials sharing a baseline as independent): XTREME "
                            f"gain ~ log2(batch) + log10(LR) + task (n = {fit.n}, R² = {fit.r_squared:.2f})",
                            tables.regression_table(fit)))
    blocks += [Paragraph(f"Pooled regression not estimable ({arm}): {note}.")
               for arm, note in analysis.regression_notes.items()]
    blocks += [Paragraph(selection_text(analysis)),
               Table("Model selection: XTREME-style scores under each selection rule", tables.selection_table(analysis.selection))]
    return Section("Appendix: correlations, tests, regression and model selection", blocks)


def build_document(analysis: StudyAnalysis, title: str, study_notes: Mapping[str, Any]) -> Document:
    return Document(title, [
        answer_section(analysis), effects_section(analysis), efficiency_section(analysis), gains_section(analysis),
        trivial_section(analysis), sampling_section(analysis), study_section(analysis, study_notes),
        unfinished_section(analysis),
        curves_section(analysis), method_section(analysis), appendix_section(analysis)])
