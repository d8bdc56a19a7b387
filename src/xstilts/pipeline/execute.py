"""Execute one trial's graph: intermediate -> target -> zero-shot for every target task.

The baseline is the same graph with no intermediate phase. Returns a TrialResult; the
driver (CLI or sweep driver) alone writes it to the store.
"""

from __future__ import annotations

import errno
import os
import traceback
from dataclasses import replace
import torch

from xstilts.config import RunConfig
from xstilts.errors import XstiltsError
from xstilts.pipeline import phases
from xstilts.pipeline.artifacts import TaskArtifact
from xstilts.pipeline.context import PhaseContext, Progress
from xstilts.pipeline.graph import PhaseNode, TrialGraph
from xstilts.pipeline.tracking import open_trackers, with_trackers
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


def run_trial(config: RunConfig, *, trial_id: str, progress: Progress | None = None,
              graph: TrialGraph | None = None) -> TrialResult:
    """Build the trial's graph (bad input raises here, before anything is written) and run it."""
    graph = graph or TrialGraph.build(config)
    if config.threads:
        torch.set_num_threads(config.threads)
    trackers = open_trackers(config.report_to, config.work_dir, trial_id)
    ctx = PhaseContext.for_graph(graph, with_trackers(progress, trackers))
    result = TrialResult(trial_id=trial_id, params=trial_params(config), status="running")
    try:
        result.status = _run_phases(graph, ctx, result)
    except XstiltsError as err:
        _finish_trackers(trackers, result, ctx, f"{err}")
        raise  # bad input: the caller reports one line and exits 2
    except Exception as err:  # a crash inside one trial must not take a sweep down
        storage = storage_error(err)
        if storage is not None:
            _finish_trackers(trackers, result, ctx, str(storage))
            raise storage from err
        result.status, result.error = "failed", f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=5)}"
    _finish_trackers(trackers, result, ctx, result.error)
    return result


def _finish_trackers(trackers: list, result: TrialResult, ctx: PhaseContext, error: str | None) -> None:
    """Fill the result from what ran and close every tracker's run, also when the trial stops on
    an error (an MLflow run would otherwise stay RUNNING)."""
    result.scores = _fill_oracle(result.scores)
    result.phases = ctx.records
    result.curves = _curves(ctx)
    if error is not None and result.status == "running":
        result.status, result.error = "failed", error
    for tracker in trackers:
        tracker.finish(result)


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


def _run_phases(graph: TrialGraph, ctx: PhaseContext, result: TrialResult) -> str:
    """The graph's nodes in order: base -> intermediate -> targets -> zero-shot and retrieval."""
    encoder = phases.base_encoder(graph)
    status, trained = "done", {}
    for node in graph.planned():
        ctx.report(event="phase", phase=node.phase, task=node.task)
        if node.phase == "intermediate":
            encoder = phases.intermediate(node, encoder, ctx)
            if encoder is None:
                return "diverged"
        elif node.phase == "target":
            trained[node.task] = phases.target(node, encoder, ctx)
        elif node.phase == "retrieval":
            result.scores.extend(_selections(phases.retrieval(node, encoder, ctx).scores))
        else:
            artifact = _model_for(node, trained)
            if artifact is None:
                status = "diverged"  # its target phase diverged: nothing to evaluate
                continue
            result.scores.extend(_selections(phases.zero_shot(node, artifact, ctx).scores))
    return status


def _model_for(node: PhaseNode, trained: dict) -> TaskArtifact | None:
    """The target model a zero-shot node evaluates: its own task's, or the one it borrows."""
    if node.borrows is None:
        return trained[node.task]
    return phases.borrowed(trained[node.borrows], get_task(node.task))


def _selections(rows: list[ScoreRow]) -> list[ScoreRow]:
    """Rows without a dev-based selection (no dev set, retrieval) count as English-dev-selected:
    they are what a user without target-language dev data would report."""
    return [replace(r, selection="english_dev") if r.selection == "final" else r for r in rows]


def _fill_oracle(rows: list[ScoreRow]) -> list[ScoreRow]:
    """Tasks with no oracle selection (retrieval trains nothing) enter the oracle view unchanged,
    so both views average over the same tasks."""
    with_oracle = {r.target_task for r in rows if r.selection == "target_dev"}
    if not with_oracle:
        return rows
    copies = [replace(r, selection="target_dev")
              for r in rows if r.target_task not in with_oracle and r.selection != "trivial"]
    return rows + copies


def _curves(ctx: PhaseContext) -> list[CurvePoint]:
    points = []
    for record in ctx.records:
        for p in record.meta.pop("curve", []) or []:
            points.append(CurvePoint(phase_key=record.key, step=p["step"], train_loss=p["train_loss"], dev_score=p["dev_score"]))
    return points
