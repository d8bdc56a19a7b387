"""Sweep reuse: intermediate-phase examples a sweep trains vs a naive per-target pipeline. A count.

The naive pipeline runs one full pipeline per target task, so it trains the same intermediate
phase once per target. xstilts addresses phases by content: the sweep planner
(``xstilts.sweep.plan.plan_sweep``) computes an intermediate phase once and marks every later
trial needing it as sharing it. The figure plans, without running anything, one trial per
target of configs/mini.yaml (in an empty work dir) and compares the intermediate examples the
planner computes with those the naive pipeline would train: 1/T for T targets.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

from benchmarks.stats import FigureResult, Target, summarize
from benchmarks.workloads import REPO, Scale, data_dir
from xstilts.config import load_config_dict, validate_config
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.plan import DefaultRate, SweepPlan, plan_sweep
from xstilts.sweep.trials import Trial, trial_id_of

SWEEP_CONFIG = REPO / "configs" / "mini.yaml"


def per_target_trials(config_path: Path, overrides: list[str]) -> list[Trial]:
    """One trial per target of the config, each with the config's intermediate phase."""
    raw = load_config_dict(config_path, overrides)
    pipeline = Pipeline()
    trials = []
    for task, target in raw["targets"].items():
        single = copy.deepcopy(raw)
        single["targets"] = {task: target}
        config = validate_config(single, source=str(config_path))
        phases = tuple(pipeline.plan_trial(config))
        trials.append(
            Trial(trial_id=trial_id_of(config), overrides=(), params={"target": task}, phases=phases, config=config)
        )
    return trials


def intermediate_examples(plan: SweepPlan) -> tuple[int, int]:
    """(examples the planned sweep trains in intermediate phases, examples if every trial trained its own)."""
    examples = {
        (trial.trial_id, phase.key): phase.train_examples
        for trial in plan.trials
        for phase in trial.phases
        if phase.phase == "intermediate"
    }
    computed = sum(
        examples[(estimate.trial_id, estimate.key)]
        for estimate in plan.phases
        if estimate.phase == "intermediate" and estimate.state == "compute"
    )
    return computed, sum(examples.values())


def sweep_reuse_figures(scale: Scale) -> list[FigureResult]:
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as work:
        overrides = [f"work_dir={work}", f"store={work}/results.sqlite", f"data_dir={data_dir()}"]
        trials = per_target_trials(SWEEP_CONFIG, overrides)
        plan = plan_sweep(trials, DefaultRate())
    computed, naive = intermediate_examples(plan)
    count = len(trials)
    setup = (
        f"intermediate examples trained by a sweep of {count} target tasks "
        f"({', '.join(t.params['target'] for t in trials)}; configs/mini.yaml) as planned by "
        f"xstilts.sweep.plan.plan_sweep: {computed:,}, vs {naive:,} for a per-target pipeline that reruns "
        f"the intermediate phase for every target; planned, not run (a count)"
    )
    return [
        FigureResult(
            name=f"sweep reuse of the intermediate phase — T = {count} targets",
            spread=summarize([computed / naive]),
            unit="x",
            target=Target("<=", 1 / count, label=f"1/T = {1 / count:.2f}×"),
            setup=setup,
            details={"computed": computed, "naive": naive},
        )
    ]
