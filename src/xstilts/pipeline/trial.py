"""One trial: intermediate -> target -> zero-shot for every target task, top to bottom.

The baseline is the same pipeline with no intermediate phase. Returns a TrialResult; the
driver (CLI or sweep runner) alone writes it to the store.
"""

from __future__ import annotations

import errno
import os
import time
import traceback
from dataclasses import dataclass

import torch

from xstilts.config import RunConfig
from xstilts.data.splits import SplitRef
from xstilts.errors import XstiltsError
from xstilts.pipeline import phases
from xstilts.pipeline.context import PhaseContext, Progress
from xstilts.results import CurvePoint, ScoreRow, TrialResult
from xstilts.tasks.registry import get_task


# errnos that mean "this output cannot be written" (a full disk or quota, read-only, denied).
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
# Writers that wrap the OS error keep its text (safetensors on a full disk: "I/O error: No space
# left on device (os error 28)"); only unambiguous ones are matched.
STORAGE_MESSAGES = tuple(os.strerror(number) for number in (errno.ENOSPC, errno.EDQUOT, errno.EROFS))
STORAGE_ADVICE = "free space or fix permissions, then rerun"


def trial_params(config: RunConfig) -> dict:
    inter = config.intermediate
    baseline = inter.task == "none"
    return {
        "intermediate_task": inter.task,
        "batch_size": None if baseline else inter.train.batch_size,
        "learning_rate": None if baseline else inter.train.learning_rate,
        "seed": config.seed,
        "model": config.model.source,
        "targets": sorted(config.targets),
    }


def register_training_lines(config: RunConfig, ctx: PhaseContext) -> None:
    """Every slice of a translated set used to train or select, before any phase runs, so the
    guard holds even when the training phase itself is reused from an earlier run."""
    inter = config.intermediate
    for name in inter.task_names():
        ctx.trained.add(SplitRef.parse(inter.train_split, name, "intermediate.train_split"))
        if inter.dev_split:
            ctx.trained.add(SplitRef.parse(inter.dev_split, name, "intermediate.dev_split"))
    for task, target in config.targets.items():
        train_text = target.train_split or get_task(task).english_train
        if train_text:
            ctx.trained.add(SplitRef.parse(train_text, task, f"targets.{task}.train_split"))
        if target.dev_split:
            ctx.trained.add(SplitRef.parse(target.dev_split, task, f"targets.{task}.dev_split"))


def run_trial(config: RunConfig, *, trial_id: str, progress: Progress | None = None) -> TrialResult:
    if config.threads:
        torch.set_num_threads(config.threads)
    ctx = PhaseContext.from_config(config, progress)
    register_training_lines(config, ctx)
    result = TrialResult(trial_id=trial_id, params=trial_params(config), status="running")
    try:
        result.status = _run_phases(config, ctx, result)
    except XstiltsError:
        raise  # bad input: the caller reports one line and exits 2
    except Exception as err:  # a crash inside one trial must not take a sweep down
        storage = storage_error(err)
        if storage is not None:
            raise storage from err
        result.status, result.error = "failed", f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=5)}"
    result.scores = _fill_oracle(result.scores)
    result.phases = ctx.records
    result.curves = _curves(ctx)
    return result


def storage_error(err: Exception) -> XstiltsError | None:
    """A full disk or an unwritable output is the environment's fault, not the trial's: one line
    (exit 2) instead of a failed trial; the finished phases are reused on rerun. None otherwise."""
    if isinstance(err, OSError) and err.errno in STORAGE_ERRNOS:
        where = f"'{err.filename}'" if err.filename else "an output file"
        return XstiltsError(f"cannot write {where}: {err.strerror}; {STORAGE_ADVICE}")
    message = (str(err).strip().splitlines() or [""])[0]
    if any(text in message for text in STORAGE_MESSAGES):
        return XstiltsError(f"cannot write an output file ({type(err).__name__}: {message}); {STORAGE_ADVICE}")
    return None


def _run_phases(config: RunConfig, ctx: PhaseContext, result: TrialResult) -> str:
    encoder = phases.base_encoder(ctx)
    if config.intermediate.task != "none":
        encoder = phases.intermediate(encoder, ctx)
        if encoder is None:
            return "diverged"
    status, trained = "done", {}
    # Targets that borrow another target's model (model_from) come after the ones that train.
    for name in sorted(config.targets, key=lambda task: config.targets[task].model_from is not None):
        spec, source = get_task(name), config.targets[name].model_from
        ctx.report(event="phase", phase="target", task=name)
        if spec.kind == "retrieval":
            predictions = phases.retrieval(encoder, spec, ctx)
        else:
            artifact = phases.borrowed(trained.get(source), spec) if source else phases.target(encoder, spec, ctx)
            if artifact is None:
                status = "diverged"
                continue
            trained[name] = artifact
            predictions = phases.zero_shot(artifact, spec, ctx)
        result.scores.extend(_selections(predictions.scores))
    return status


def _selections(rows: list[ScoreRow]) -> list[ScoreRow]:
    """Rows without a dev-based selection (no dev set, retrieval) count as English-dev-selected:
    they are what a user without target-language dev data would report."""
    return [ScoreRow(r.target_task, r.language, r.metric, r.value, "english_dev") if r.selection == "final" else r for r in rows]


def _fill_oracle(rows: list[ScoreRow]) -> list[ScoreRow]:
    """Tasks with no oracle selection (retrieval trains nothing) enter the oracle view unchanged,
    so both views average over the same tasks."""
    with_oracle = {r.target_task for r in rows if r.selection == "target_dev"}
    if not with_oracle:
        return rows
    copies = [ScoreRow(r.target_task, r.language, r.metric, r.value, "target_dev")
              for r in rows if r.target_task not in with_oracle]
    return rows + copies


def _curves(ctx: PhaseContext) -> list[CurvePoint]:
    points = []
    for record in ctx.records:
        for p in record.meta.pop("curve", []) or []:
            points.append(CurvePoint(phase_key=record.key, step=p["step"], train_loss=p["train_loss"], dev_score=p["dev_score"]))
    return points


@dataclass
class PhasePlan:
    key: str
    phase: str
    task: str
    done: bool
    train_examples: int
    batch_size: int
    max_length: int
    model_source: str


def plan_trial(config: RunConfig) -> list[PhasePlan]:
    from xstilts.pipeline.planning import plan_phases

    return plan_phases(config)
