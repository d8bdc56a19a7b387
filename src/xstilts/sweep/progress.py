"""The progress display of `xstilts run`, `sweep run` and `study`.

Fed by the pipeline's progress callback. Events are dicts; the keys read here are ``event``
(phase, step, reused, eval), ``phase``, ``task``, ``step``, ``total`` (steps in the phase),
``loss`` and ``examples_per_s`` (all optional), plus ``time`` (seconds since the epoch), which
the worker adds. On a terminal a rich table shows one row per *running* trial (label, phase,
step/total, loss, examples/s, ETA) under a sweep-total line; elsewhere (a log file, CI) short
plain lines are printed: a trial's start, each training phase it starts, a heartbeat when a
trial has printed nothing for a minute, and one line per finished trial. No line is longer than
``MAX_LINE`` characters, so CI logs stay readable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

ENDED = ("done", "failed", "diverged")  # trial statuses that count as finished
MAX_LINE = 119
LABEL_WIDTH = 56
HEARTBEAT_S = 60.0  # plain output: the longest a running trial stays silent
REFRESH_S = 0.25  # terminal redraws at most this often
# Grid keys trial_label shows through the trial's params (not again from the grid point).
LABELLED_KEYS = ("intermediate.task", "intermediate.train.batch_size", "intermediate.train.learning_rate", "seed")


@dataclass
class TrialRow:
    trial_id: str
    label: str
    batch_sizes: dict[tuple[str, str], int] = field(default_factory=dict)  # (phase, task) -> examples per step
    status: str = "pending"
    phase: str = ""
    step: int | None = None
    total_steps: int | None = None
    loss: float | None = None
    examples_per_s: float | None = None
    steps_per_s: float | None = None
    eta_s: float | None = None
    error: str | None = None
    started: float | None = None
    _phase_start: tuple[float, int] | None = None  # (time, step) of the phase's first step event

    def apply(self, event: dict[str, Any]) -> None:
        phase = f"{event.get('phase', '')} {event.get('task', '')}".strip() or self.phase
        now, step = float(event.get("time", time.time())), event.get("step")
        if phase != self.phase:
            self.phase, self._phase_start, self.step, self.total_steps = phase, None, None, None
            self.loss = self.examples_per_s = None
        if step is not None:
            self.step = int(step)
            self._phase_start = self._phase_start or (now, self.step)
        self.total_steps = event.get("total", self.total_steps)
        self.loss = event.get("loss", self.loss)
        self.steps_per_s = self._step_rate(now)
        batch = self.batch_sizes.get((str(event.get("phase", "")), str(event.get("task", ""))))
        measured = self.steps_per_s * batch if self.steps_per_s and batch else None
        self.examples_per_s = event.get("examples_per_s", measured or self.examples_per_s)
        remaining = (self.total_steps or 0) - (self.step or 0)
        self.eta_s = remaining / self.steps_per_s if self.steps_per_s and self.total_steps else None

    def _step_rate(self, now: float) -> float | None:
        """Optimizer steps per second since the phase's first event (resumed steps excluded)."""
        if self._phase_start is None or self.step is None:
            return None
        started, first_step = self._phase_start
        done = self.step - first_step
        return done / (now - started) if done > 0 and now > started else None

    def state(self) -> str:
        """The phase and its numbers in a few words: ``target panx 40/120 loss 0.53 12.0 ex/s ETA 0:01:10``."""
        parts = [self.phase or self.status]
        if self.step is not None:
            parts.append(f"{self.step}/{self.total_steps or '?'}")
        if self.loss is not None:
            parts.append(f"loss {self.loss:.3g}")
        if self.examples_per_s:
            parts.append(f"{self.examples_per_s:.1f} ex/s")
        if self.eta_s is not None:
            parts.append(f"ETA {format_duration(self.eta_s)}")
        return " ".join(parts)


def _one_line(text: str) -> Text:
    return Text(text, no_wrap=True, overflow="ellipsis")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def trial_label(trial: Any) -> str:
    """A short name for a trial: the study's variables, plus any other grid key it varies."""
    p = trial.params
    baseline = p.get("intermediate_task") in (None, "none")
    if baseline:
        label = f"baseline seed={p.get('seed')}"
    else:
        label = f"{p.get('intermediate_task')} bs={p.get('batch_size')} lr={p.get('learning_rate')} seed={p.get('seed')}"
    extra = [(key, value) for key, value in (p.get("grid") or {}).items()
             if key not in LABELLED_KEYS and not (baseline and key.startswith("intermediate."))]
    if extra:
        label += " [" + " ".join(f"{k.removeprefix('targets.').replace('.train.', '.')}={v}" for k, v in extra) + "]"
    return _clip(label, LABEL_WIDTH)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _batch_sizes(trial: Any) -> dict[tuple[str, str], int]:
    sizes = {}
    for plan in getattr(trial, "phases", ()) or ():
        size = getattr(plan, "batch_size", None)
        if isinstance(size, int) and size > 0:
            sizes[(str(getattr(plan, "phase", "")), str(getattr(plan, "task", "")))] = size
    return sizes


class ProgressBoard:
    """Trial rows plus the display they are drawn on (see the module docstring)."""

    def __init__(self, trials: list[Any], console: Console | None = None, *, title: str = "sweep",
                 clock: Callable[[], float] = time.time):
        self.rows = {t.trial_id: TrialRow(t.trial_id, trial_label(t), _batch_sizes(t)) for t in trials}
        self.console = console or Console(stderr=True)
        self.title, self.clock = title, clock
        self.start = clock()
        self.finished_here = 0  # trials that ended in this run (the sweep ETA's rate)
        self._earlier: list[str] = []  # statuses of trials finished before this run, not yet reported
        self._spoke: dict[str, float] = {}  # trial -> when its last plain line was printed
        self._announced: dict[str, str] = {}  # trial -> the last training phase a plain line named
        self._drawn = 0.0
        self._live: Live | None = None

    def __enter__(self) -> "ProgressBoard":
        if self.console.is_terminal:
            self._live = Live(self.view(), console=self.console, auto_refresh=False, transient=True)
            self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        self._report_earlier()
        if self._live is not None:
            self._live.stop()
            self._live = None

    # -- what the driver calls -----------------------------------------------------------------
    def set_status(self, trial_id: str, status: str, error: str | None = None) -> None:
        row = self.rows[trial_id]
        row.status, row.error = status, error
        if status.endswith("(earlier)"):
            self._earlier.append(status.split(" ")[0])
            return
        self._report_earlier()
        now = self.clock()
        if status == "running":
            row.started = now
            if self._live is None:
                self._say(trial_id, "started")
        else:
            row.eta_s = row.steps_per_s = None
            if status in ENDED:
                self.finished_here += 1
            self._print_line(self._finished_line(row, now))
        self.refresh(force=True)

    def on_event(self, trial_id: str, event: dict[str, Any]) -> None:
        row = self.rows.get(trial_id)
        if row is None:
            return
        self._report_earlier()
        row.apply(event)
        # Plain output names each training phase once; evaluation shows in the heartbeat. Events
        # can arrive after the trial's result (the driver collects results first): not printed.
        if (self._live is None and row.status == "running" and event.get("step") is not None
                and self._announced.get(trial_id) != row.phase):
            self._announced[trial_id] = row.phase
            self._say(trial_id, row.state())

    def refresh(self, force: bool = False) -> None:
        now = self.clock()
        if self._live is None:
            self._report_earlier()
            self._heartbeat(now)
        elif force or now - self._drawn >= REFRESH_S:
            self._live.update(self.view(), refresh=True)
            self._drawn = now

    # -- plain lines ---------------------------------------------------------------------------
    def _print_line(self, text: str) -> None:
        self.console.print(_clip(text, MAX_LINE), highlight=False, markup=False, soft_wrap=True)

    def _say(self, trial_id: str, what: str) -> None:
        row = self.rows[trial_id]
        self._print_line(f"[{trial_id[:8]}] {row.label}: {what}")
        self._spoke[trial_id] = self.clock()

    def _heartbeat(self, now: float) -> None:
        quiet = [r for r in self.rows.values() if r.status == "running"
                 and now - self._spoke.get(r.trial_id, now) >= HEARTBEAT_S]
        for row in quiet:
            self._say(row.trial_id, f"{row.state()} ({self.finished_count()}/{len(self.rows)} done, "
                                    f"ETA {format_duration(self.eta_s(now))})")

    def _report_earlier(self) -> None:
        if self._earlier:
            n, statuses = len(self._earlier), ", ".join(sorted(set(self._earlier)))
            self._earlier = []
            self._print_line(f"{self.title}: {n} trial(s) finished in an earlier run ({statuses}), not rerun")

    def _finished_line(self, row: TrialRow, now: float) -> str:
        took = f" in {format_duration(now - row.started)}" if row.started is not None else ""
        tail = f": {row.error.strip().splitlines()[0]}" if row.error and row.error.strip() else ""
        finished = self.finished_count()
        return f"[{row.trial_id[:8]}] {row.label}: {row.status}{took} ({finished}/{len(self.rows)}){tail}"

    # -- totals and the terminal view ----------------------------------------------------------
    def finished_count(self) -> int:
        return sum(r.status.split(" ")[0] in ENDED for r in self.rows.values())  # "done (earlier)" too

    def eta_s(self, now: float) -> float | None:
        """Time left for the sweep, at the rate trials finished so far in this run."""
        left = len(self.rows) - self.finished_count()
        if not left:
            return 0.0
        return (now - self.start) / self.finished_here * left if self.finished_here else None

    def totals(self, now: float) -> str:
        running = sum(r.status == "running" for r in self.rows.values())
        return (f"{self.title}: {self.finished_count()}/{len(self.rows)} done, {running} running, "
                f"ETA {format_duration(self.eta_s(now))}")

    def view(self) -> Group:
        running = Table(box=None, pad_edge=False)
        # The numbers keep their width on a narrow terminal; the label and phase give way. Rich
        # narrows only columns that may wrap, so those two may, and their cells do not (Text).
        for column, width in (("trial", 8), ("params", None), ("phase", None), ("step", 7), ("loss", 5),
                              ("ex/s", 5), ("ETA", 7)):
            running.add_column(column, no_wrap=width is not None, overflow="ellipsis", min_width=width,
                               max_width=LABEL_WIDTH)
        for row in self.rows.values():
            if row.status == "running":
                running.add_row(row.trial_id[:8], _one_line(row.label), _one_line(row.phase),
                                f"{row.step}/{row.total_steps or '?'}" if row.step is not None else "",
                                f"{row.loss:.3g}" if row.loss is not None else "",
                                f"{row.examples_per_s:.1f}" if row.examples_per_s else "",
                                format_duration(row.eta_s) if row.eta_s is not None else "")
        return Group(running, Text(self.totals(self.clock()), style="bold"))

    def table(self) -> Table:
        """Every trial, one row each (the full record; the live view shows running ones only)."""
        table = Table(title=self.title, expand=False)
        for column in ("trial", "params", "status", "phase", "step", "steps/s", "examples/s", "ETA"):
            table.add_column(column)
        for row in self.rows.values():
            step = f"{row.step}/{row.total_steps or '?'}" if row.step is not None else ""
            steps = f"{row.steps_per_s:.2f}" if row.steps_per_s else ""
            examples = f"{row.examples_per_s:.1f}" if row.examples_per_s else ""
            eta = format_duration(row.eta_s) if row.eta_s is not None else ""
            table.add_row(row.trial_id, row.label, row.status, row.phase, step, steps, examples, eta)
        return table
