"""``xstilts run CONFIG [key=value ...]``: one trial (intermediate -> targets -> zero-shot)."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path
from typing import Any, Iterator, List, Optional

import typer

from xstilts.config import describe_fields, load_config
from xstilts.errors import XstiltsError
from xstilts.results import TrialResult

CONFIG_HELP = "\n\n".join(f"{key} (default {default}): {text}" for key, default, text in describe_fields())


class ProgressPrinter:
    """One line per phase start and a carriage-return progress line per training step."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.last: tuple[str, str] | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "step":
            total = max(event["total"], 1)
            bar = "#" * int(30 * event["step"] / total)
            self.stream.write(f"\r  {event['phase']:<12} {event['task']:<10} [{bar:<30}] {event['step']}/{total} loss {event['loss']:.4f}")
            if event["step"] >= total:
                self.stream.write("\n")
        elif kind == "eval":
            where = (event["task"], event.get("selection", ""))
            if where != self.last:
                self.stream.write(f"\n  evaluating {event['task']} ({event.get('selection') or 'zero-shot'}) ...")
                self.last = where
            self.stream.write(f" {event['language']}")
        elif kind == "reused":
            self.stream.write(f"\n  {event['phase']:<12} {event['task']:<10} reused (already computed)\n")
        self.stream.flush()


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
            lines.append(f"  {phase.phase} {phase.task}: {t.examples_per_s:.1f} ex/s, {t.real_tokens_per_s:.0f} real tok/s, "
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
    help_config: bool = typer.Option(False, "--help-config", help="Print every config key with its default and meaning."),
) -> None:
    """Run one trial: intermediate training, target training, zero-shot evaluation; store the results."""
    if help_config:
        typer.echo(CONFIG_HELP)
        return
    from xstilts.pipeline.planning import plan_phases
    from xstilts.pipeline.preflight import preflight
    from xstilts.pipeline.trial import run_trial, trial_params
    from xstilts.store.sqlite import ResultStore
    from xstilts.sweep.trials import trial_id_of

    cfg = load_config(config, overrides or [])
    if dry_run:
        for plan in plan_phases(cfg):
            state = "done" if plan.done else "to run"
            typer.echo(f"{plan.phase:<13} {plan.task:<12} {plan.key:<30} {state:<7} {plan.train_examples} train examples")
        return
    preflight(cfg)  # bad input fails here: nothing trained, nothing stored
    trial_id = trial_id_of(cfg)
    with store_errors(cfg.store), ResultStore(cfg.store) as store:
        store.mark_running(trial_id, trial_params(cfg))
        result = run_trial(cfg, trial_id=trial_id, progress=ProgressPrinter())
        store.record(result)
    typer.echo("\n".join(summary_lines(result)))
    if result.status == "failed":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
