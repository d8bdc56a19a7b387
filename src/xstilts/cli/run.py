"""``xstilts run CONFIG [key=value ...]``: one trial (intermediate -> targets -> zero-shot)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, List, Optional

import typer

from xstilts.errors import XstiltsError

if TYPE_CHECKING:
    from xstilts.pipeline.graph import PhaseNode
    from xstilts.results import TrialResult


def _print_config_help(value: bool) -> None:
    # Eager: prints before CONFIG is checked, so `xstilts run --help-config` needs no config.
    if value:
        from xstilts.cli.help import run_config_help

        typer.echo(run_config_help())
        raise typer.Exit(0)


def _board_progress(board: Any, trial_id: str):
    """The pipeline's progress callback, drawing on a ProgressBoard (redraws are throttled there)."""
    def progress(event: dict[str, Any]) -> None:
        board.on_event(trial_id, {"time": time.time(), **event})
        board.refresh()

    return progress


def _reads_text(node: PhaseNode) -> str:
    """What a phase reads: examples it trains on (all epochs), else examples it scores."""
    if node.trains_on:
        return f"{node.train_examples} train examples"
    if node.phase == "retrieval":  # a bitext read lists no lines; its cap applies when it runs
        return f"{len(node.evaluates)} language pairs, {sum(read.total for read in node.evaluates)} sentences on file"
    return f"scores {sum(len(read.lines) for read in node.evaluates)} examples in {len(node.evaluates)} languages"


def summary_lines(result: TrialResult) -> list[str]:
    """Per-task scores (mean over languages), the XTREME-style mean, and intermediate throughput."""
    lines = [f"trial {result.trial_id}: {result.status}  params {result.params}"]
    for selection in sorted({row.selection for row in result.scores}):
        per_task: dict[str, list[float]] = {}
        for row in result.scores:
            if row.selection == selection:
                per_task.setdefault(row.target_task, []).append(row.value)
        means = {task: sum(v) / len(v) for task, v in per_task.items()}
        cells = "  ".join(f"{task} {score:.1f} ({len(per_task[task])} langs)" for task, score in means.items())
        lines.append(f"  [{selection}] {cells}")
        lines.append(f"  [{selection}] mean over {len(means)} tasks (XTREME-style): {sum(means.values()) / len(means):.2f}")
    for phase in result.phases:
        if phase.throughput and phase.computed:
            t = phase.throughput
            mfu = f", MFU {t.mfu:.1%}" if t.mfu is not None else ""
            lines.append(f"  {phase.phase} {phase.task}: {t.examples_per_s:.1f} ex/s, {t.real_tokens_per_s:.0f} real tok/s{mfu}, "
                         f"{t.steps} steps, {phase.seconds:.0f} s, peak {t.peak_memory_bytes / 2**30:.2f} GiB")
    if result.error:
        lines.append(f"  error: {result.error.splitlines()[0]}")
    return lines


@contextlib.contextmanager
def store_errors(path: str) -> Iterator[None]:
    """SQLite's own failures (a full disk, an unwritable file) as one line and exit 2. Each store
    write is one transaction, so earlier rows stay as they were; a rerun reuses the trial's phases."""
    try:
        yield
    except sqlite3.OperationalError as err:
        raise XstiltsError(f"cannot write the store '{path}': {err}; free space or fix permissions, then rerun") from err


def run_command(
    config: Path = typer.Argument(..., help="Run config YAML (see configs/)."),
    overrides: Optional[List[str]] = typer.Argument(None, help="dotted.key=value overrides; see --help-config."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the phases this run needs and which are already done."),
    help_config: bool = typer.Option(False, "--help-config", is_eager=True, callback=_print_config_help,
                                     help="Print every config key (nested ones included) with its default and meaning."),
) -> None:
    """Run one trial: intermediate training, target training, zero-shot evaluation; store the results."""
    from xstilts.cli.common import quiet_libraries
    from xstilts.config import load_config
    from xstilts.pipeline.execute import run_trial, trial_params
    from xstilts.pipeline.preflight import preflight
    from xstilts.store.sqlite import ResultStore
    from xstilts.sweep.progress import ProgressBoard
    from xstilts.sweep.trials import Trial, trial_id_of

    quiet_libraries()  # before any model loads: no transformers bars or load reports
    cfg = load_config(config, overrides or [])
    graph = preflight(cfg, config_file=str(config))  # bad input fails here: nothing trained, nothing stored
    if dry_run:
        for node in graph.planned():
            state = "done" if node.done else "to run"
            typer.echo(f"{node.phase:<13} {node.task:<12} {node.key:<30} {state:<7} {_reads_text(node)}")
        return
    trial_id = trial_id_of(cfg, [node.key for node in graph.planned()])
    with store_errors(cfg.store), ResultStore(cfg.store) as store:
        params = trial_params(cfg)
        store.mark_running(trial_id, params)
        with ProgressBoard([Trial(trial_id, (), params, tuple(graph.planned()))], title="run") as board:
            board.set_status(trial_id, "running")
            result = run_trial(cfg, trial_id=trial_id, progress=_board_progress(board, trial_id), graph=graph)
            board.set_status(trial_id, result.status, error=result.error)
        store.record(result)
    typer.echo("\n".join(summary_lines(result)))
    if result.status == "failed":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
