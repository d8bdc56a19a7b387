"""``xstilts score``: score an XTREME prediction folder against a label folder.

Same numbers as google-research/xtreme's evaluate.py (see xstilts.metrics.layout); prints a
per-language / per-task / group / overall table, or with ``--json`` exactly
``{"overall_scores": ..., "detailed_scores": ...}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def _language_table(task: str, summary: dict[str, Any]):
    """One row per language, one column per metric, then the averages row."""
    from rich.table import Table

    metrics = [name for name in summary if not name.startswith("avg_")]
    caption = f"task score {summary['avg_metric']:.2f}"
    table = Table(title=task, caption=caption, title_justify="left")
    table.add_column("language")
    for metric in metrics:
        table.add_column(metric, justify="right")
    for language in summary[metrics[0]]:
        table.add_row(language, *(f"{summary[m][language]:.2f}" for m in metrics))
    table.add_row("avg", *(f"{summary[f'avg_{m}']:.2f}" for m in metrics), style="bold")
    return table


def _summary_table(result: dict[str, dict[str, Any]]):
    from rich.table import Table

    table = Table(title="XTREME scores", title_justify="left")
    table.add_column("task / group")
    table.add_column("score", justify="right")
    for task, summary in result["detailed_scores"].items():
        table.add_row(task, f"{summary['avg_metric']:.2f}")
    for name, value in result["overall_scores"].items():
        table.add_row(name, f"{value:.2f}", style="bold")
    return table


def score(
    predictions: Annotated[
        Path, typer.Option("--predictions", help="Folder of <task>/test-<lang> predictions.")
    ],
    gold: Annotated[Path, typer.Option("--gold", help="Folder of <task>/test-<lang> labels.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Score XTREME predictions exactly as XTREME's evaluate.py does."""
    from rich.console import Console

    from xstilts.cli.common import check_score_folders
    from xstilts.metrics.layout import evaluate_folders

    check_score_folders(predictions, gold)  # no task in common, or the two folders swapped: one line
    result = evaluate_folders(predictions, gold)
    if as_json:
        typer.echo(json.dumps(result))
        return
    console = Console()
    if not result["detailed_scores"]:
        console.print("no XTREME task folder is present in both --predictions and --gold")
        return
    for task, summary in result["detailed_scores"].items():
        console.print(_language_table(task, summary))
    console.print(_summary_table(result))


def register(app: typer.Typer) -> None:
    app.command("score")(score)
