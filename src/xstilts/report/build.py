"""``build_report``: analyse a results frame and write report.html, report.md, CSVs and plots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from xstilts.analysis.bootstrap import DEFAULT_RESAMPLES
from xstilts.analysis.study import StudyAnalysis, analyse_study
from xstilts.io import atomic_path, atomic_write_bytes, atomic_write_text
from xstilts.report.html import render_html
from xstilts.report.markdown import render_markdown
from xstilts.report.plots import figure_style
from xstilts.report.sections import build_document

# CSV name -> the analysis table it holds.
CSV_TABLES: dict[str, Callable[[StudyAnalysis], pd.DataFrame | None]] = {
    "trials.csv": lambda a: a.trials,
    "gains.csv": lambda a: a.gains,
    "gains_by_task.csv": lambda a: a.task_gains,
    "gains_by_setting.csv": lambda a: a.setting_table,
    "gains_by_cell.csv": lambda a: a.cells,
    "correlations.csv": lambda a: a.correlations,
    "effects_grid.csv": lambda a: a.grid,
    "effects_slopes.csv": lambda a: a.slopes,
    "effects_regression.csv": lambda a: (pd.concat([fit.coefficients.assign(arm=arm) for arm, fit in a.regressions.items()])
                                         if a.regressions else None),
    "throughput_by_setting.csv": lambda a: a.efficiency,
    "throughput_correlations.csv": lambda a: a.setting_correlations,
    "trivial_baselines.csv": lambda a: a.trivial if len(a.trivial) else None,  # none without trivial rows
    "model_selection.csv": lambda a: a.selection,
}


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    csvs: tuple[Path, ...]
    plots: tuple[Path, ...]


def _write_csvs(analysis: StudyAnalysis, out_dir: Path) -> tuple[Path, ...]:
    written = []
    for name, table_of in CSV_TABLES.items():
        table = table_of(analysis)
        if table is None:
            continue
        with atomic_path(out_dir / name) as tmp:
            table.to_csv(tmp, index=False)
        written.append(out_dir / name)
    return tuple(written)


def build_report(frame: pd.DataFrame, curves: pd.DataFrame | None, out_dir: str | Path, *,
                 title: str = "Intermediate-task training and XTREME transfer",
                 study_notes: Mapping[str, Any] | None = None, n_resamples: int = DEFAULT_RESAMPLES,
                 rng: int = 0) -> ReportFiles:
    """Analyse ``frame`` (and ``curves``) and write the report into ``out_dir``.

    ``study_notes`` are shown verbatim under "Study". ``rng`` seeds every
    bootstrap and permutation, so the same store gives the same report.
    """
    out_dir = Path(out_dir)
    analysis = analyse_study(frame, curves, n_resamples=n_resamples, rng=rng)
    with figure_style():
        document = build_document(analysis, title, study_notes or {})
    plots = []
    for figure in document.figures():
        for suffix, data in ((".png", figure.png), (".svg", figure.svg)):
            atomic_write_bytes(out_dir / "plots" / f"{figure.name}{suffix}", data)
            plots.append(out_dir / "plots" / f"{figure.name}{suffix}")
    csvs = _write_csvs(analysis, out_dir)
    atomic_write_text(out_dir / "report.md", render_markdown(document))
    atomic_write_text(out_dir / "report.html", render_html(document))
    return ReportFiles(out_dir / "report.html", out_dir / "report.md", csvs, tuple(plots))
