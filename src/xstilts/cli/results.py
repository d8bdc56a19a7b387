"""``xstilts results STORE``: filter the results store and print or export it.

Views: ``scores`` (the results frame the analysis reads), ``phases`` (the planner's estimate
beside the measured time of every phase) and ``curves`` (training curves).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

import pandas as pd
import typer

from xstilts.errors import ConfigError
from xstilts.store.export import FORMATS, export_frame, filter_frame
from xstilts.store.sqlite import ResultStore

VIEWS: dict[str, Callable[[ResultStore], pd.DataFrame]] = {
    "scores": ResultStore.results_frame,
    "phases": ResultStore.phases_frame,
    "curves": ResultStore.curves_frame,
}


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
    if not store.is_file():
        raise ConfigError("STORE", f"no results store at {store}")
    with ResultStore(store) as db:
        frame = filter_frame(VIEWS[view](db), where or [])
    text = export_frame(frame, fmt, out)
    if text is not None:
        sys.stdout.write(text)


def register(app: typer.Typer) -> None:
    app.command("results")(results_command)
