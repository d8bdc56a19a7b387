"""The live progress table of a sweep: one row per trial (status, phase, throughput, ETA).

Fed by the pipeline's progress callback. Events are dicts; the keys read here are
``phase``, ``task``, ``step``, ``total`` (steps in the phase) and ``examples_per_s`` (all
optional), plus ``time`` (seconds since the epoch), which the worker adds. On a terminal the
table is redrawn in place (rich); otherwise each status change is printed as one line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from xstilts.sweep.trials import Trial

ENDED = ("done", "failed", "diverged")  # trial statuses that count as finished


@dataclass
class TrialRow:
    trial_id: str
    label: str
    status: str = "pending"
    phase: str = ""
    step: int | None = None
    total_steps: int | None = None
    examples_per_s: float | None = None
    steps_per_s: float | None = None
    eta_s: float | None = None
    error: str | None = None
    _phase_start: tuple[float, int] | None = None  # (time, step) of the phase's first event

    def apply(self, event: dict[str, Any]) -> None:
        phase = f"{event.get('phase', '')} {event.get('task', '')}".strip() or self.phase
        now, step = float(event.get("time", time.time())), event.get("step")
        if phase != self.phase:
            self.phase, self._phase_start, self.step, self.total_steps = phase, None, None, None
        if step is not None:
            self.step = int(step)
            self._phase_start = self._phase_start or (now, self.step)
        self.total_steps = event.get("total", self.total_steps)
        self.examples_per_s = event.get("examples_per_s", self.examples_per_s)
        self.steps_per_s = self._step_rate(now)
        remaining = (self.total_steps or 0) - (self.step or 0)
        self.eta_s = remaining / self.steps_per_s if self.steps_per_s and self.total_steps else None

    def _step_rate(self, now: float) -> float | None:
        """Optimizer steps per second since the phase's first event (resumed steps excluded)."""
        if self._phase_start is None or self.step is None:
            return None
        started, first_step = self._phase_start
        done = self.step - first_step
        return done / (now - started) if done > 0 and now > started else None


def trial_label(trial: Trial) -> str:
    p = trial.params
    if p.get("intermediate_task") in (None, "none"):
        label = f"baseline seed={p.get('seed')}"
    else:
        label = f"{p.get('intermediate_task')} bs={p.get('batch_size')} lr={p.get('learning_rate')} seed={p.get('seed')}"
    settings = p.get("target_settings")
    return label if settings in (None, "default") else f"{label} [{settings}]"


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class ProgressBoard:
    """Trial rows plus the display they are drawn on."""

    def __init__(self, trials: list[Trial], console: Console | None = None):
        self.rows = {t.trial_id: TrialRow(t.trial_id, trial_label(t)) for t in trials}
        self.console = console or Console(stderr=True)
        self._live: Live | None = None

    def __enter__(self) -> "ProgressBoard":
        if self.console.is_terminal:
            self._live = Live(self.table(), console=self.console, auto_refresh=False)
            self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.update(self.table(), refresh=True)
            self._live.stop()
            self._live = None

    def set_status(self, trial_id: str, status: str, error: str | None = None) -> None:
        row = self.rows[trial_id]
        row.status, row.error = status, error
        if status != "running":
            row.eta_s = row.steps_per_s = None
        if self._live is None:
            tail = f": {error.strip().splitlines()[0]}" if error and error.strip() else ""
            self.console.print(f"[{trial_id}] {row.label}: {status}{tail}", highlight=False, markup=False)

    def on_event(self, trial_id: str, event: dict[str, Any]) -> None:
        row = self.rows.get(trial_id)
        if row is None:
            return
        before = row.phase
        row.apply(event)
        # Without a terminal (a log file, CI) a line per phase keeps a long run visibly moving.
        if self._live is None and row.phase and row.phase != before:
            finished = sum(r.status.split(" ")[0] in ENDED for r in self.rows.values())  # "done (earlier)" too
            self.console.print(f"[{trial_id}] {row.label}: {row.phase} ({finished}/{len(self.rows)} trials finished)",
                               highlight=False, markup=False)

    def refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.table(), refresh=True)

    def table(self) -> Table:
        table = Table(title="sweep", expand=False)
        for column in ("trial", "params", "status", "phase", "step", "steps/s", "examples/s", "ETA"):
            table.add_column(column)
        for row in self.rows.values():
            step = f"{row.step}/{row.total_steps or '?'}" if row.step is not None else ""
            steps = f"{row.steps_per_s:.2f}" if row.steps_per_s else ""
            examples = f"{row.examples_per_s:.1f}" if row.examples_per_s else ""
            table.add_row(row.trial_id, row.label, row.status, row.phase, step, steps, examples, _format_eta(row.eta_s))
        return table
