"""The report's sections, in reading order: the answer first, then the evidence."""

from __future__ import annotations

from typing import Any, Mapping

from xstilts.analysis.frame import BASELINE_TASK
from xstilts.analysis.study import PRIMARY_SELECTION, StudyAnalysis
from xstilts.report import figures, tables
from xstilts.report.document import BulletList, Document, Paragraph, Section, Table
from xstilts.report.narrative import headline, note_text


def answer_section(analysis: StudyAnalysis, study_notes: Mapping[str, Any]) -> Section:
    return Section("Answer", [Paragraph(text) for text in headline(analysis, study_notes)])


def _grid_levels(analysis: StudyAnalysis) -> list[str]:
    trials = analysis.trials[analysis.trials["intermediate_task"] != BASELINE_TASK]
    levels = {"intermediate tasks": sorted(trials["intermediate_task"].unique()),
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
    blocks = [BulletList(tuple(items))]
    examples = tables.test_examples_table(analysis.frame)
    if examples is not None:
        blocks.append(Table("Test examples per target task and language", examples))
    return Section("Study", blocks)


def efficiency_section(analysis: StudyAnalysis) -> Section:
    intro = Paragraph(
        "Raw correlations answer whether faster runs gained more. Bigger batches run faster, so a raw "
        "correlation can come from batch size alone. The partial correlations remove what batch size, learning "
        "rate, intermediate task and seed explain (from log-throughput and from the gain, by least squares) and ask "
        "whether, at the same settings, faster runs transfer better. The seed is held fixed because its trials share "
        "a baseline and, as sweeps run seed by seed, the machine's state at the time. 'Settings as categories' treats each grid "
        "level as its own category, which also absorbs non-linear effects. Device-hours fall as throughput rises, "
        "so their signs are mirrored.")
    return Section("Throughput and transfer", [
        intro, *figures.scatter_figure(analysis),
        Table("Correlation of intermediate-phase throughput with XTREME gain", tables.correlation_table(analysis.correlations))])


def effects_section(analysis: StudyAnalysis) -> Section:
    blocks = [*figures.grid_figures(analysis),
              Table("Mean XTREME gain per setting (95% CI over seeds); 'all tasks' pools the intermediate tasks",
                    tables.grid_table(analysis.grid))]
    if analysis.regression is None:
        blocks.append(Paragraph(f"Regression not estimable: {analysis.regression_note}."))
    else:
        blocks.append(Table(f"OLS: XTREME gain ~ log2(batch size) + log10(learning rate) + task "
                            f"(n = {analysis.regression.n}, R² = {analysis.regression.r_squared:.2f})",
                            tables.regression_table(analysis.regression)))
    return Section("Batch size and learning rate", blocks)


def gains_section(analysis: StudyAnalysis) -> Section:
    blocks = [Paragraph("Gains are differences to the no-intermediate baseline with the same seed and target "
                        "settings. XTREME averages each target task over its languages, then over the tasks present. "
                        "gains_by_setting.csv has every setting's gain per target task with a CI over seeds; "
                        "gains_by_cell.csv has every trial, target task and language.")]
    if not analysis.task_table.empty:
        blocks.append(Table("Mean gain per intermediate and target task [95% CI over trials]",
                            tables.task_table(analysis.task_table)))
    blocks += [*figures.task_figures(analysis), *figures.language_figures(analysis)]
    return Section("Gains by target task and language", blocks)


def selection_section(analysis: StudyAnalysis) -> Section:
    return Section("Model selection", [
        Paragraph("Scores with checkpoints selected on English dev data (zero-shot) beside scores selected on "
                  "target-language dev data (oracle). The oracle gap is paired within each trial."),
        Table("XTREME-style scores under each selection rule", tables.selection_table(analysis.selection))])


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
        f"95% CIs are bootstrap intervals (BCa, percentile where BCa is undefined) with {analysis.n_resamples} "
        "resamples; over seeds for a setting, over trials for pooled means and correlations.",
        f"p-values are two-sided permutation tests with {analysis.n_resamples} permutations.",
        "Partial correlations: both log-throughput and gain are residualised on the settings by least squares; "
        "the bootstrap refits the settings in every resample.",
        "The regression uses classical OLS standard errors and t-based intervals.",
    ))])


def build_document(analysis: StudyAnalysis, title: str, study_notes: Mapping[str, Any]) -> Document:
    return Document(title, [
        answer_section(analysis, study_notes), study_section(analysis, study_notes), efficiency_section(analysis),
        effects_section(analysis), gains_section(analysis), selection_section(analysis),
        unfinished_section(analysis), curves_section(analysis), method_section(analysis)])
