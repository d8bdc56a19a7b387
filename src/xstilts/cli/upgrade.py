"""``xstilts upgrade STORE --work-dir DIR``: bring an older results store up to this version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def upgrade(
    store: Annotated[Path, typer.Argument(help="SQLite results store written by an older xstilts.")],
    work_dir: Annotated[Path, typer.Option("--work-dir", help="The run config's work_dir: the phase folders whose "
                                           "prediction files the scores came from.")],
) -> None:
    """Upgrade an older results store: newer columns, and each score's sampling error from its phase files."""
    from xstilts.errors import ConfigError, DataError
    from xstilts.store.sqlite import ResultStore
    from xstilts.store.upgrade import fill_sampling_errors

    if not store.is_file():
        raise DataError(store, None, "results store not found")
    if not work_dir.is_dir():
        raise ConfigError("--work-dir", f"{work_dir} is not a folder")
    with ResultStore(store) as results:
        filled, left = fill_sampling_errors(results, work_dir)
    typer.echo(f"{store}: sampling error filled in for {filled} score(s); {left} left without one "
               "(no per-example error, as for BUCC, or their phase files are gone)")


def register(app: typer.Typer) -> None:
    app.command("upgrade")(upgrade)
