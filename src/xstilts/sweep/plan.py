"""The cost planner: which phases a sweep computes, which it reuses, and device-hours.

A phase is *computed* by the first trial (in grid order) that needs it, *shared* by later
trials with the same content address, and *exists* when its output is already in the work
dir; a finished trial's phases are *stored* (its results are in the store: the sweep skips it,
even when its trained models were deleted). Its estimate is optimizer steps x seconds per step, where seconds per step come from a
short calibration on the actual model and data (cached in the store) or, with
``--no-calibrate``, from a stated default rate. Evaluation time is not estimated.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from xstilts.store.sqlite import ResultStore
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.trials import Trial, config_tree, dotted_get

# A deliberately round CPU-class figure (small encoder, one core); calibrate for real numbers.
DEFAULT_PADDED_TOKENS_PER_S = 2000.0
CALIBRATION_STEPS = 3
STATES = ("compute", "shared", "exists", "stored")
TRAINING_PHASES = ("intermediate", "target")


@dataclass(frozen=True)
class PhaseEstimate:
    trial_id: str
    key: str
    phase: str
    task: str
    state: str  # compute | shared | exists | stored
    steps: int  # optimizer steps to compute the phase from scratch
    seconds_per_step: float | None
    estimate_s: float | None  # time to compute the phase from scratch (None: not estimated)

    @property
    def charged_s(self) -> float:
        """What this trial adds to the sweep's cost: only phases it computes."""
        return (self.estimate_s or 0.0) if self.state == "compute" else 0.0


class StepRate(Protocol):
    note: str

    def seconds_per_step(self, trial: Trial, phase: Any) -> float: ...


def optimizer_steps(phase: Any) -> int:
    """Steps a phase trains for: ``train_examples`` counts every example seen (all epochs)."""
    if phase.train_examples <= 0 or phase.batch_size <= 0:
        return 0
    return math.ceil(phase.train_examples / phase.batch_size)


class DefaultRate:
    """Seconds per step from an assumed rate of padded tokens (batch x max length) per second."""

    def __init__(self, padded_tokens_per_s: float = DEFAULT_PADDED_TOKENS_PER_S):
        self.padded_tokens_per_s = padded_tokens_per_s
        self.note = f"not calibrated: assumed {padded_tokens_per_s:,.0f} padded tokens/s"

    def seconds_per_step(self, trial: Trial, phase: Any) -> float:
        return phase.batch_size * phase.max_length / self.padded_tokens_per_s


def calibration_key(trial: Trial, phase: Any) -> tuple[str, dict[str, Any]]:
    """What a step's time depends on: host, encoder, phase, task and batch geometry."""
    tree = config_tree(trial.config)
    section = "intermediate.train" if phase.phase == "intermediate" else f"targets.{phase.task}.train"
    description = {
        "host": platform.node(), "model": tree.get("model"), "phase": phase.phase, "task": phase.task,
        "batch_size": phase.batch_size, "max_length": phase.max_length,
        "micro_batch_size": dotted_get(tree, f"{section}.micro_batch_size"),
    }
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]
    return digest, description


class CalibratedRate:
    """Times a few steps per distinct calibration key; results are cached in the store."""

    def __init__(self, pipeline: Pipeline, store: ResultStore, steps: int = CALIBRATION_STEPS, refresh: bool = False):
        self.pipeline, self.store, self.steps, self.refresh = pipeline, store, steps, refresh
        self.measured: dict[str, float] = {}
        self.cached = 0
        self.note = f"calibrated: {steps} timed steps per phase geometry, cached in the store"

    def seconds_per_step(self, trial: Trial, phase: Any) -> float:
        key, description = calibration_key(trial, phase)
        if key in self.measured:
            return self.measured[key]
        cached = None if self.refresh else self.store.calibration(key)
        if cached is not None:
            self.cached += 1
            self.measured[key] = cached
            return cached
        seconds = float(self.pipeline.time_phase_step(trial.config, phase, self.steps))
        self.store.save_calibration(key, seconds, {**description, "steps": self.steps})
        self.measured[key] = seconds
        return seconds


@dataclass
class SweepPlan:
    trials: list[Trial]
    phases: list[PhaseEstimate]
    rate_note: str

    def estimate_for(self, key: str) -> float | None:
        """Estimated seconds to compute the phase ``key`` from scratch."""
        return next((p.estimate_s for p in self.phases if p.key == key and p.estimate_s is not None), None)

    def trial_estimate_s(self, trial_id: str) -> float:
        return sum(p.charged_s for p in self.phases if p.trial_id == trial_id)

    def summary(self) -> dict[str, Any]:
        counts = {state: len({p.key for p in self.phases if p.state == state}) for state in STATES}
        total_s = sum(p.charged_s for p in self.phases)
        # A training phase with no steps found no training examples: it would fail or train nothing.
        untrained = sorted({f"{p.phase} {p.task}" for p in self.phases if p.phase in TRAINING_PHASES and not p.steps})
        return {"trials": len(self.trials), "unique_phases": len({p.key for p in self.phases}),
                "phases_to_compute": counts["compute"], "phases_shared": counts["shared"],
                "phases_existing": counts["exists"], "phases_stored": counts["stored"], "estimate_s": total_s, "device_hours": total_s / 3600.0,
                "rate": self.rate_note, "training_phases_without_examples": untrained}

    def to_json(self) -> dict[str, Any]:
        trials = [{"trial_id": t.trial_id, "params": t.params, "overrides": list(t.overrides),
                   "estimate_s": self.trial_estimate_s(t.trial_id),
                   "phases": [asdict(p) for p in self.phases if p.trial_id == t.trial_id]} for t in self.trials]
        return {"summary": self.summary(), "trials": trials}


def _phase_state(phase: Any, computed_earlier: set[str], trial_finished: bool) -> str:
    if trial_finished:
        return "stored"
    if phase.done:
        return "exists"
    return "shared" if phase.key in computed_earlier else "compute"


def plan_sweep(trials: list[Trial], rate: StepRate, finished: frozenset[str] = frozenset()) -> SweepPlan:
    """Classify every trial's phases and estimate the ones the sweep has to compute.
    ``finished``: ids of trials whose results are stored (the sweep will not run them)."""
    computed_earlier: set[str] = set()
    estimates: list[PhaseEstimate] = []
    for trial in trials:
        for phase in trial.phases:
            state = _phase_state(phase, computed_earlier, trial.trial_id in finished)
            steps = optimizer_steps(phase)
            per_step = rate.seconds_per_step(trial, phase) if state == "compute" and steps else None
            estimate = steps * per_step if per_step is not None else (0.0 if state == "compute" else None)
            estimates.append(PhaseEstimate(trial.trial_id, phase.key, phase.phase, phase.task, state, steps,
                                           per_step, estimate))
            if state != "stored":  # a stored trial's phase may be deleted: a new trial computes it
                computed_earlier.add(phase.key)
    return SweepPlan(trials=trials, phases=estimates, rate_note=rate.note)
