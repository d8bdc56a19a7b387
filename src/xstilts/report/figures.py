"""Turn the analysis into the report's figures, rendered to PNG and SVG bytes."""

from __future__ import annotations

import io
import re

from matplotlib.figure import Figure as MplFigure

from xstilts.analysis.frame import ALL_TASKS
from xstilts.analysis.study import StudyAnalysis
from xstilts.report import plots
from xstilts.report.document import Figure


def render(figure: MplFigure, name: str, caption: str) -> Figure:
    """PNG (embedded in the HTML) and SVG (written beside it), without timestamps."""
    png, svg = io.BytesIO(), io.BytesIO()
    figure.savefig(png, format="png", dpi=110, metadata={"Software": None})
    figure.savefig(svg, format="svg", metadata={"Date": None})
    return Figure(name=name, caption=caption, png=png.getvalue(), svg=svg.getvalue())


def file_stem(*parts: str) -> str:
    """A safe file name from data-derived parts (task names may hold any character)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(parts)).strip("_.") or "figure"


def grid_figures(analysis: StudyAnalysis) -> list[Figure]:
    cells = analysis.grid[analysis.grid["intermediate_task"] != ALL_TASKS]
    pairs = sorted(set(zip(cells["arm"], cells["intermediate_task"])))
    return [render(plots.grid_heatmap(analysis.grid, task, arm), file_stem("grid", str(i), arm, task),
                   f"Intermediate task {task}, {arm}: mean XTREME-style gain (targets reported apart left out) per "
                   "batch size and learning rate with the "
                   "95% t interval over seeds (none with one seed), and how many trials finished or diverged.")
            for i, (arm, task) in enumerate(pairs)]


def language_figures(analysis: StudyAnalysis) -> list[Figure]:
    tasks = sorted(analysis.language_table["intermediate_task"].unique())
    return [render(plots.language_heatmap(analysis.language_table, task), file_stem("languages", str(i), task),
                   f"Intermediate task {task}: mean gain per target task and language on each target's evaluated split "
                   "(grey: no data).")
            for i, task in enumerate(tasks)]


def efficiency_figures(analysis: StudyAnalysis) -> list[Figure]:
    if analysis.efficiency.empty:
        return []
    return [render(plots.frontier_plot(analysis.efficiency), "frontier",
                   "Efficiency frontier: each setting's mean XTREME gain (95% t interval over seeds) against its mean "
                   "intermediate device-hours; the step line is the best mean gain reachable within each budget, starting "
                   "at the baseline (cross: no intermediate phase, 0 device-hours, gain 0)."),
            render(plots.setting_scatter(analysis.efficiency, analysis.setting_correlations), "throughput_vs_gain",
                   "Setting-mean intermediate examples/s against setting-mean XTREME gain, one point per setting; "
                   "the panel states the Pearson r and p over settings that the text reports. Throughput across "
                   "settings is mostly batch size: the association is confounded with it.")]


def task_figures(analysis: StudyAnalysis) -> list[Figure]:
    if analysis.task_table.empty:
        return []
    return [render(plots.task_heatmap(analysis.task_table), "task_table",
                   "Intermediate task × target task: mean gain on each target's evaluated split over every finished trial, "
                   "95% t interval over per-seed means."),
            render(plots.task_gain_bars(analysis.task_table), "task_bars",
                   "Mean gain per target task with 95% t intervals over per-seed means (all batch sizes and learning "
                   "rates of each seed averaged first).")]


def curve_figures(analysis: StudyAnalysis) -> list[Figure]:
    if analysis.curves.empty:
        return []
    return [render(plots.training_curves(analysis.curves, analysis.trials), "training_curves",
                   "Training curves: training loss (left) and dev score (right) per trial phase; colour is the "
                   "intermediate batch size.")]
