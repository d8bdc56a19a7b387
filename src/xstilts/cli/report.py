"""``xstilts report STORE --out DIR``: the study's statistics as report.html, report.md and CSVs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from xstilts.errors import ConfigError, DataError

DEFAULT_RESAMPLES = 2000  # bootstrap resamples for every CI (xstilts.analysis.bootstrap's default)


def load_study_notes(path: Path | None) -> dict[str, Any]:
    """Study notes from a YAML mapping (e.g. ``data_per_phase: {intermediate: ..., target: ...}``)."""
    if path is None:
        return {}
    if not path.is_file():
        raise ConfigError("--notes", f"file not found: {path}")
    from xstilts.config import read_yaml_file

    notes = read_yaml_file(path, key="--notes")
    if notes is None:
        return {}
    if not isinstance(notes, dict):
        raise ConfigError("--notes", "must be a YAML mapping of note name to value", source=str(path))
    return notes


def check_report_target(store: Path, out: Path, *, check_store: bool = True) -> None:
    """What ``report`` needs, checked before anything is written (``study`` calls it before it
    runs or writes its notes): ``out`` is a folder or can become one, and ``store`` is a
    readable xstilts store (opened read-only and closed at once)."""
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ConfigError("--out", f"{existing} exists and is not a folder")
    if not check_store:
        return
    if not store.is_file():
        raise DataError(store, None, "results store not found")
    from xstilts.store.sqlite import ResultStore

    ResultStore(store, readonly=True).close()


def report(
    store: Annotated[Path, typer.Argument(help="SQLite results store written by `xstilts run`.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html, report.md, CSVs and plots/.")],
    title: Annotated[str, typer.Option("--title", help="Report title.")] = "Intermediate-task training and XTREME transfer",
    notes: Annotated[Path | None, typer.Option("--notes", help="YAML mapping of study notes shown in the report.")] = None,
    resamples: Annotated[int, typer.Option("--resamples", min=100,
                                           help="Bootstrap resamples and permutations per estimate.")] = DEFAULT_RESAMPLES,
) -> None:
    """Analyse a results store: gains, throughput-gain correlations, batch/LR effects, plots."""
    write_report(store, out, title=title, notes=notes, resamples=resamples)


def write_report(store: Path, out: Path, *, title: str, notes: Path | None, resamples: int,
                 only_trials: frozenset[str] | None = None) -> None:
    """The report of every trial in ``store``, or of ``only_trials`` (a study's own trials)."""
    check_report_target(store, out)
    study_notes = load_study_notes(notes)
    # Imported here so `xstilts report --help` and the other commands do not load the store.
    from xstilts.report.build import build_report
    from xstilts.store.sqlite import ResultStore, store_read_errors

    # Read-only: a report never writes to the store it reads (no tables, no WAL switch).
    with ResultStore(store, readonly=True) as results, store_read_errors(store):
        frame, curves = results.results_frame(), results.curves_frame()
    if only_trials is not None:
        frame, curves = (table[table["trial_id"].isin(only_trials)].reset_index(drop=True) for table in (frame, curves))
    files = build_report(frame, curves, out, title=title, study_notes=study_notes, n_resamples=resamples)
    typer.echo(f"wrote {files.html}, {files.markdown}, {len(files.csvs)} CSV files and {len(files.plots)} plot files")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
