"""``xstilts tasks``: every task with its kind, languages and the examples found locally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from xstilts.cli.common import DATA_DIR_HELP, resolve_data_dir
from xstilts.data.splits import count_split
from xstilts.tasks.registry import all_tasks
from xstilts.tasks.spec import TaskSpec


def local_counts(spec: TaskSpec, data_dir: Path) -> dict[str, dict[str, int]]:
    """{split: {lang: examples}} for the files present under data_dir."""
    counts: dict[str, dict[str, int]] = {}
    for split in spec.splits:
        for lang in spec.split_languages(split):
            found = count_split(spec, data_dir, split, lang)
            if found is not None:
                counts.setdefault(split, {})[lang] = found
    return counts


def _print_task(spec: TaskSpec, counts: dict[str, dict[str, int]]) -> None:
    where = f"{spec.role}/{spec.group}" if spec.group else spec.role
    stand_in = f" (stand-in for {spec.stand_in_for})" if spec.stand_in_for else ""
    typer.echo(f"{spec.name:<20} {spec.kind:<20} {len(spec.languages):>2} langs  {where}{stand_in}")
    if not counts:
        typer.echo("    (no local files)")
    for split, by_lang in counts.items():
        total = sum(by_lang.values())
        detail = " ".join(f"{lang}={n}" for lang, n in by_lang.items())
        typer.echo(f"    {split}: {total} examples in {len(by_lang)} langs: {detail}")


def tasks_command(
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object instead of a table."),
    role: Optional[str] = typer.Option(None, help="Only 'target' or 'intermediate' tasks."),
) -> None:
    """List every task with its kind, languages, and examples found locally per split and language."""
    folder = resolve_data_dir(data_dir)
    report = {}
    for spec in all_tasks().values():
        if role and spec.role != role:
            continue
        counts = local_counts(spec, folder)
        report[spec.name] = {"kind": spec.kind, "role": spec.role, "languages": spec.languages, "counts": counts}
        if not as_json:
            _print_task(spec, counts)
    if as_json:
        typer.echo(json.dumps(report, indent=1))


def register(app: typer.Typer) -> None:
    app.command("tasks")(tasks_command)
