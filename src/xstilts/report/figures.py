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


def _per_task(analysis: StudyAnalysis) -> list[str]:
    return sorted(t for t in analysis.grid["intermediate_task"].unique() if t != ALL_TASKS)


def grid_figures(analysis: StudyAnalysis) -> list[Figure]:
    return [render(plots.grid_heatmap(analysis.grid, task), file_stem("grid", str(i), task),
                   f"Intermediate task {task}: mean XTREME gain per batch size and learning rate, with the "
                   "95% CI over seeds and how many trials finished or diverged.")
            for i, task in enumerate(_per_task(analysis))]


def language_figures(analysis: StudyAnalysis) -> list[Figure]:
    tasks = sorted(analysis.language_table["intermediate_task"].unique())
    return [render(plots.language_heatmap(analysis.language_table, task), file_stem("languages", str(i), task),
                   f"Intermediate task {task}: mean gain per target task and language (grey: no data).")
            for i, task in enumerate(tasks)]


def scatter_figure(analysis: StudyAnalysis) -> list[Figure]:
    if analysis.gains.empty:
        return []
    return [render(plots.throughput_scatter(analysis.gains), "throughput_vs_gain",
                   "Intermediate-phase throughput against XTREME gain, one point per finished trial; colour is "
                   "the batch size, marker the intermediate task. Line: least-squares fit with its 95% CI band.")]


def task_figures(analysis: StudyAnalysis) -> list[Figure]:
    if analysis.task_table.empty:
        return []
    return [render(plots.task_heatmap(analysis.task_table), "task_table",
                   "Intermediate task × target task: mean gain over every finished trial, 95% CI over trials."),
            render(plots.task_gain_bars(analysis.task_table), "task_bars",
                   "Mean gain per target task with 95% CIs over trials (all batch sizes, learning rates, seeds).")]


def curve_figures(analysis: StudyAnalysis) -> list[Figure]:
    if analysis.curves.empty:
        return []
    return [render(plots.training_curves(analysis.curves, analysis.trials), "training_curves",
                   "Training curves: training loss (left) and dev score (right) per trial phase; colour is the "
                   "intermediate batch size.")]
