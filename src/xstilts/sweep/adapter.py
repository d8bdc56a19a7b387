"""What a sweep needs from the training pipeline, found again by module name in any process.

A pipeline is a module with four functions:

    load_config(path, overrides) -> config        (a pydantic model: model_dump() works)
    plan_trial(config) -> [PhaseNode]             (key, phase, task, done, train_examples,
                                                   batch_size, max_length)
    run_trial(config, *, trial_id, progress) -> TrialResult
    time_phase_step(config, phase_plan, steps) -> seconds per optimizer step

and optionally `preflight(config)`, which raises on bad input before any trial starts, and
`discard_phase(config, phase_plan)`, which deletes a finished phase's trained model (sweeps
with ``keep_trained_models: false``).

Workers (subprocesses, Ray tasks) receive the module's *name*, never functions, so nothing
is pickled. This module is the default pipeline: thin adapters over xstilts.config and
xstilts.pipeline. Tests substitute a fake module with the same four functions.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from xstilts.results import TrialResult

DEFAULT_PIPELINE = "xstilts.sweep.adapter"
PIPELINE_FUNCTIONS = ("load_config", "plan_trial", "run_trial", "time_phase_step")


def load_config(path: Path, overrides: Sequence[str] = ()) -> Any:
    from xstilts.config import load_config as load_run_config

    return load_run_config(path, overrides)


def plan_trial(config: Any) -> list[Any]:
    from xstilts.pipeline.graph import plan_trial as plan

    return plan(config)


def run_trial(config: Any, *, trial_id: str, progress: Callable[[dict], None] | None = None) -> TrialResult:
    from xstilts.pipeline.execute import run_trial as run

    return run(config, trial_id=trial_id, progress=progress)


def time_phase_step(config: Any, phase_plan: Any, steps: int) -> float:
    from xstilts.sweep.calibrate import measure_step_time

    return measure_step_time(config, phase_plan, steps=steps)


def preflight(config: Any) -> None:
    from xstilts.pipeline.preflight import preflight as check

    check(config)


def discard_phase(config: Any, phase_plan: Any) -> None:
    from xstilts.pipeline.graph import discard

    discard(phase_plan, Path(config.work_dir))


@dataclass(frozen=True)
class Pipeline:
    """A pipeline module by name; each call looks the function up in that module."""

    module: str = DEFAULT_PIPELINE

    def _function(self, name: str) -> Callable[..., Any]:
        return getattr(importlib.import_module(self.module), name)

    def load_config(self, path: Path, overrides: Sequence[str] = ()) -> Any:
        return self._function("load_config")(path, overrides)

    def plan_trial(self, config: Any) -> list[Any]:
        return self._function("plan_trial")(config)

    def run_trial(self, config: Any, *, trial_id: str, progress: Callable[[dict], None] | None = None) -> TrialResult:
        return self._function("run_trial")(config, trial_id=trial_id, progress=progress)

    def time_phase_step(self, config: Any, phase_plan: Any, steps: int) -> float:
        return self._function("time_phase_step")(config, phase_plan, steps)

    def preflight(self, config: Any) -> None:
        check = getattr(importlib.import_module(self.module), "preflight", None)
        if check is not None:
            check(config)

    def can_discard(self) -> bool:
        return callable(getattr(importlib.import_module(self.module), "discard_phase", None))

    def discard_phase(self, config: Any, phase_plan: Any) -> None:
        self._function("discard_phase")(config, phase_plan)


def check_pipeline(module: str) -> Pipeline:
    """A Pipeline for ``module``, after checking it imports and has the four functions."""
    from xstilts.errors import ConfigError

    try:
        loaded = importlib.import_module(module)
    except ImportError as err:
        raise ConfigError("--pipeline", f"cannot import {module!r}: {err}") from None
    missing = [name for name in PIPELINE_FUNCTIONS if not callable(getattr(loaded, name, None))]
    if missing:
        raise ConfigError("--pipeline", f"{module!r} lacks {', '.join(missing)}")
    return Pipeline(module)
