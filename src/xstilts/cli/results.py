"""``xstilts results STORE``: filter the results store and print or export it.

Views: ``gains`` (the default: one row per trial and target task, mean score, gain over the
same-seed baseline, intermediate examples/s), ``scores`` (the results frame the analysis reads,
one row per language and selection rule), ``phases`` (the planner's estimate beside the
measured time of every phase) and ``curves`` (training curves). The table format leaves out
the long ``target_settings`` column; csv, json and parquet keep every column.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from xstilts.errors import ConfigError

# View name -> the ResultStore method that builds it (looked up when the command runs, so
# `--help` imports neither pandas nor the store).
VIEWS = {"gains": "results_frame", "scores": "results_frame", "phases": "phases_frame", "curves": "curves_frame"}
WIDE_COLUMNS = ("target_settings",)  # one override list per row: out of the table, kept in files
FORMATS = ("table", "csv", "json", "parquet")


def results_command(
    store: Annotated[Path, typer.Argument(help="SQLite results store written by a sweep or run.")],
    where: Annotated[Optional[list[str]], typer.Option("--where", help="column=value; repeat to combine (AND).")] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write here instead of stdout (required for parquet).")] = None,
    view: Annotated[str, typer.Option("--view", help=f"One of {', '.join(VIEWS)}.")] = "gains",
) -> None:
    """Print or export results, optionally filtered (e.g. --where intermediate_task=sst2)."""
    if view not in VIEWS:
        raise ConfigError("--view", f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    if out is not None and out.is_dir():
        raise ConfigError("--out", f"{out} is a folder; name the file to write")
    blocking = next((p for p in (out.parents if out is not None else ()) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ConfigError("--out", f"{blocking} is a file, so {out} cannot be written")
    # Read-only: results never creates tables, switches the journal or leaves files beside it.
    from xstilts.store.export import export_frame, filter_frame
    from xstilts.store.sqlite import ResultStore, store_read_errors

    with ResultStore(store, readonly=True) as db, store_read_errors(store):
        frame = getattr(db, VIEWS[view])()
    if view == "gains":
        from xstilts.analysis.views import trial_target_gains

        frame = trial_target_gains(frame)
    frame = filter_frame(frame, where or [])
    if fmt == "table":
        frame = frame.drop(columns=[c for c in WIDE_COLUMNS if c in frame.columns])
    text = export_frame(frame, fmt, out)
    if text is not None:
        sys.stdout.write(text)


def register(app: typer.Typer) -> None:
    app.command("results")(results_command)
