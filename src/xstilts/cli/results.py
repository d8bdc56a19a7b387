"""``xstilts results STORE``: filter the results store and print or export it.

Views: ``scores`` (the results frame the analysis reads), ``phases`` (the planner's estimate
beside the measured time of every phase) and ``curves`` (training curves).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from xstilts.errors import ConfigError

# View name -> the ResultStore method that builds it (looked up when the command runs, so
# `--help` imports neither pandas nor the store).
VIEWS = {"scores": "results_frame", "phases": "phases_frame", "curves": "curves_frame"}
FORMATS = ("table", "csv", "json", "parquet")


def results_command(
    store: Annotated[Path, typer.Argument(help="SQLite results store written by a sweep or run.")],
    where: Annotated[Optional[list[str]], typer.Option("--where", help="column=value; repeat to combine (AND).")] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write here instead of stdout (required for parquet).")] = None,
    view: Annotated[str, typer.Option("--view", help=f"One of {', '.join(VIEWS)}.")] = "scores",
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
    frame = filter_frame(frame, where or [])
    text = export_frame(frame, fmt, out)
    if text is not None:
        sys.stdout.write(text)


def register(app: typer.Typer) -> None:
    app.command("results")(results_command)
