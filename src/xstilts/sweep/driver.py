"""The sweep driver, shared by every runner: schedule trials, record results, show progress.

A runner (local processes, Ray) is a ``Runner``: it starts trials and reports the ones that
ended. The driver alone writes the store. It skips trials already finished (done or
diverged), never runs two trials at once that would both compute the same phase, and copies
the planner's estimate into each computed phase so the store keeps estimate and actual time
side by side. Given a ``discard`` function, it deletes a finished trial's phases that no
unfinished trial (pending, running or failed) lists, so a long sweep's disk use stays flat.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Protocol

from xstilts.results import TrialResult
from xstilts.store.sqlite import FINISHED_STATUSES, ResultStore
from xstilts.sweep.plan import SweepPlan
from xstilts.sweep.progress import ProgressBoard
from xstilts.sweep.trials import Trial


class Runner(Protocol):
    """Runs trials somewhere else (processes, a cluster) and hands their results back."""

    capacity: int | None  # trials at once; None: start every ready trial, the cluster queues them

    def recover(self, trial: Trial) -> TrialResult | None:
        """A result a previous, interrupted driver received but did not record, if any."""

    def start(self, trial: Trial) -> None: ...

    def finished(self, timeout_s: float) -> list[TrialResult]:
        """Results of trials that ended, waiting up to ``timeout_s`` for the first one."""

    def progress_events(self) -> list[tuple[str, dict]]:
        """(trial_id, event) pairs from the pipeline's progress callback since the last call."""

    def stop(self) -> None:
        """Abandon running trials (their phases resume on the next run)."""


@dataclass(frozen=True)
class SweepOutcome:
    counts: dict[str, int]  # status -> trials ending with it in this run, plus "skipped"

    @property
    def ok(self) -> bool:
        return self.counts.get("failed", 0) == 0


def _keys_to_compute(trial: Trial) -> set[str]:
    return {phase.key for phase in trial.phases if not phase.done}


def next_ready(pending: list[Trial], running: Iterable[Trial]) -> Trial | None:
    """The first pending trial that computes no phase a running trial is computing."""
    busy = set().union(*(_keys_to_compute(t) for t in running))
    return next((t for t in pending if not (_keys_to_compute(t) & busy)), None)


def finalize(result: TrialResult, trial: Trial, plan: SweepPlan) -> TrialResult:
    """The sweep's params win (they identify the trial); computed phases get their estimate."""
    phases = [replace(p, estimate_s=plan.estimate_for(p.key)) if p.computed else p for p in result.phases]
    return replace(result, trial_id=trial.trial_id, params={**result.params, **trial.params}, phases=phases)


Discard = Callable[[Trial, Any], None]  # (trial, one of its PhasePlans): delete that phase's output


class SweepDriver:
    def __init__(self, store: ResultStore, plan: SweepPlan, runner: Runner, board: ProgressBoard,
                 discard: Discard | None = None):
        self.store, self.plan, self.runner, self.board, self.discard = store, plan, runner, board, discard
        self.counts: Counter[str] = Counter()
        self.running: dict[str, Trial] = {}
        self.pending: list[Trial] = []
        self.failed: list[Trial] = []  # their phases resume on the next run: never discarded
        self.discarded: set[str] = set()

    def run(self) -> SweepOutcome:
        statuses = self.store.trial_statuses()
        finished_earlier = []
        for trial in self.plan.trials:
            if statuses.get(trial.trial_id) in FINISHED_STATUSES:
                self.counts["skipped"] += 1
                self.board.set_status(trial.trial_id, f"{statuses[trial.trial_id]} (earlier)")
                finished_earlier.append(trial)
            elif statuses.get(trial.trial_id) == "running" and (leftover := self.runner.recover(trial)):
                if self._record(leftover, trial) in FINISHED_STATUSES:
                    finished_earlier.append(trial)
            else:
                self.pending.append(trial)
        for trial in finished_earlier:  # only now is every unfinished trial known
            self._discard_finished(trial)
        try:
            self._drive(self.pending)
        except BaseException:
            self.runner.stop()
            raise
        return SweepOutcome(counts=dict(self.counts))

    def _drive(self, pending: list[Trial]) -> None:
        while pending or self.running:
            self._start_ready(pending)
            finished = self.runner.finished(timeout_s=0.5)
            # A trial's last progress events reach the board before its result does.
            for trial_id, event in self.runner.progress_events():
                self.board.on_event(trial_id, event)
            for result in finished:
                trial = self.running.pop(result.trial_id)
                if self._record(result, trial) in FINISHED_STATUSES:
                    self._discard_finished(trial)
            self.board.refresh()

    def _start_ready(self, pending: list[Trial]) -> None:
        capacity = self.runner.capacity
        while pending and (capacity is None or len(self.running) < capacity):
            trial = next_ready(pending, self.running.values())
            if trial is None:
                return
            pending.remove(trial)
            self.store.mark_running(trial.trial_id, trial.params)
            self.runner.start(trial)
            self.running[trial.trial_id] = trial
            self.board.set_status(trial.trial_id, "running")

    def _record(self, result: TrialResult, trial: Trial) -> str:
        result = finalize(result, trial, self.plan)
        self.store.record(result)
        self.counts[result.status] += 1
        self.board.set_status(trial.trial_id, result.status, error=result.error)
        if result.status not in FINISHED_STATUSES:
            self.failed.append(trial)
        return result.status

    def _discard_finished(self, trial: Trial) -> None:
        """Delete the trial's phases no unfinished trial lists, once its scores are stored."""
        if self.discard is None:
            return
        needed = {key for t in [*self.pending, *self.running.values(), *self.failed] for key in t.phase_keys}
        for phase in trial.phases:
            if phase.key not in needed and phase.key not in self.discarded:
                self.discard(trial, phase)
                self.discarded.add(phase.key)
