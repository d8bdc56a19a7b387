"""The training loop: resumable, deterministic on CPU, early-stopping, divergence-aware.

``train`` reads top to bottom: return at once if the run has finished; otherwise set up (or resume
from the newest valid checkpoint), step through the planned batches, evaluate and checkpoint on
schedule, and finish with a final evaluation and a final checkpoint that records the outcome
(the run's completion marker is its own final checkpoint; the pipeline's phase layer alone owns
DONE.json).

The model is anything whose ``forward(**batch)`` returns an object with ``.loss``; the dataset is a
sequence of feature dicts turned into tensors by ``collate_fn``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from collections.abc import Callable, Sequence

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed

from xstilts.errors import ConfigError
from xstilts.train.attention import CPU_TRAINING, SDPA, TrainingAttention
from xstilts.train import checkpoint as ckpt
from xstilts.train.batching import BatchOrder, StepBatch, StepPlan, fixed_subset, restricted, shuffled_batch_order
from xstilts.train.evaluation import EvalFn, evaluate, improved_keys
from xstilts.train.outcome import BestState, TrainOutcome
from xstilts.train.schedule import build_optimizer, build_scheduler
from xstilts.train.settings import TrainSettings
from xstilts.train.state import RunState
from xstilts.train.stepping import StepResult, StepRunner
from xstilts.train.throughput import ThroughputMeter, count_flop_params, memory_probe_for
from xstilts.train.flops import encoder_shape
from xstilts.train.peak import peak_probe_for

log = logging.getLogger(__name__)


@dataclass
class StepReport:
    """Handed to ``progress`` after every optimizer step (main process only)."""

    step: int
    total_steps: int
    epoch: int
    loss: float
    learning_rate: float
    examples_seen: int


ProgressFn = Callable[[StepReport], None]


@dataclass
class Hooks:
    """What the caller plugs into the loop."""

    eval_fn: EvalFn | None
    select_on: tuple[str, ...]  # selection keys; the first one drives early stopping
    progress: ProgressFn | None


@dataclass
class Run:
    settings: TrainSettings
    root: Path
    accelerator: Accelerator
    model: torch.nn.Module  # the caller's module (unwrapped): what is saved and evaluated
    runner: StepRunner
    plan: StepPlan
    total_steps: int
    state: RunState
    meter: ThroughputMeter
    hooks: Hooks
    saved_step: int | None  # step of the newest checkpoint on disk
    attention: TrainingAttention  # CPU training kernels while training, SDPA while evaluating


def train(
    model: torch.nn.Module,
    dataset: Sequence[dict],
    collate_fn: Callable[[list[dict]], dict],
    settings: TrainSettings,
    *,
    checkpoint_dir: str | Path,
    eval_fn: EvalFn | None = None,
    batch_order: BatchOrder | None = None,
    progress: ProgressFn | None = None,
    select_on: Sequence[str] = ("score",),
) -> TrainOutcome:
    """Train ``model`` in place; resume from ``checkpoint_dir`` if it holds an unfinished run.

    ``eval_fn(model)`` returns named scores (higher is better); it runs every
    ``settings.eval_every`` steps and at the end, on every process. Each key in ``select_on`` keeps
    its best weights on disk (``outcome.best[key].path``); the first key drives early stopping.
    ``batch_order(epoch, micro_batch_size)`` gives an epoch's micro-batches as dataset indices
    (default: a seeded shuffle). ``progress`` receives a ``StepReport`` after every step.
    A run whose newest checkpoint records its outcome returns it at once, final weights loaded.
    """
    root = Path(checkpoint_dir)
    finished = _finished_outcome(root, model, settings)
    if finished is not None:
        return finished
    hooks = Hooks(eval_fn, tuple(select_on), progress)
    run = _start_run(model, dataset, collate_fn, settings, root, batch_order, hooks)
    steps_before = run.state.step
    with run.attention.using(CPU_TRAINING):
        for batch in run.plan.iterate(settings.epochs, run.state.epoch, run.state.index_in_epoch):
            if run.state.step >= run.total_steps:
                break
            result = _train_step(run, batch)
            if not result.finite:
                _mark_diverged(run.state, result)
                break
            if _due(run.state.step, settings.eval_every) and run.hooks.eval_fn is not None:
                _evaluate_and_select(run)
                if _patience_exhausted(run):
                    break
            if _due(run.state.step, settings.checkpoint_every):
                _save_checkpoint(run)
    return _finish(run, steps_trained=run.state.step - steps_before)


def _due(step: int, every: int | None) -> bool:
    return bool(every) and step % every == 0


# --- setup -----------------------------------------------------------------------------------


def make_accelerator() -> Accelerator:
    # Precision is the StepRunner's autocast (settings.bf16 / bf16_on_cpu), not accelerate's
    # mixed_precision: see StepRunner.bf16.
    return Accelerator(cpu=not torch.cuda.is_available())


def _step_plan(
    dataset: Sequence[dict], settings: TrainSettings, batch_order: BatchOrder | None, accelerator
) -> StepPlan:
    order = batch_order or shuffled_batch_order(len(dataset), settings.seed)
    if settings.max_train_examples and settings.max_train_examples < len(dataset):
        order = restricted(order, fixed_subset(len(dataset), settings.max_train_examples))
    world, rank = accelerator.num_processes, accelerator.process_index
    return StepPlan(order, settings.micro_batch_size, settings.accumulation_steps(world), world, rank)


def _start_run(model, dataset, collate_fn, settings, root, batch_order, hooks: Hooks) -> Run:
    accelerator = make_accelerator()
    set_seed(settings.seed)
    plan = _step_plan(dataset, settings, batch_order, accelerator)
    total_steps = plan.total_steps(settings.epochs, settings.max_steps)
    optimizer = build_optimizer(model, settings)
    scheduler = build_scheduler(optimizer, settings, total_steps)
    # The scheduler stays outside prepare(): accelerate would step it once per process.
    prepared, optimizer = accelerator.prepare(model, optimizer)
    state, saved_step = _resume_or_start(root, accelerator, model, optimizer, scheduler, settings)
    state.meta.update(total_steps=total_steps, world_size=plan.world_size, flop_params=count_flop_params(model))
    bf16 = settings.bf16_on_cpu if accelerator.device.type == "cpu" else settings.bf16
    runner = StepRunner(accelerator, prepared, optimizer, scheduler, dataset, collate_fn, settings.max_grad_norm, bf16,
                        settings.micro_batch_tokens)
    prepared.train()
    return Run(
        settings=settings,
        root=root,
        accelerator=accelerator,
        model=model,
        runner=runner,
        plan=plan,
        total_steps=total_steps,
        state=state,
        meter=_throughput_meter(model, settings, accelerator, state),
        hooks=hooks,
        saved_step=saved_step,
        attention=TrainingAttention(model, accelerator.device),
    )


def _throughput_meter(model, settings: TrainSettings, accelerator: Accelerator, state: RunState) -> ThroughputMeter:
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    shape = encoder_shape(model)
    # The matmul probe runs in the phase's precision (the StepRunner's autocast) and thread count.
    bf16 = settings.bf16_on_cpu if accelerator.device.type == "cpu" else settings.bf16
    return ThroughputMeter(
        flop_params=shape.params,
        layers=shape.layers,
        hidden=shape.hidden,
        warmup_steps=settings.throughput_warmup_steps,
        peak_flops=settings.peak_flops,
        peak_probe=peak_probe_for(accelerator.device, bf16),
        memory_probe=memory_probe_for(accelerator.device),
        carried=state.meter,
    )


def _check_same_settings(saved: dict, settings: TrainSettings, root: Path) -> None:
    current = settings.trajectory_fields()
    differing = sorted(key for key in set(saved) | set(current) if saved.get(key) != current.get(key))
    if differing:
        raise ConfigError(
            "checkpoint_dir", f"{root} holds a run with other settings (differing: {', '.join(differing)})"
        )


def _resume_or_start(root, accelerator, model, optimizer, scheduler, settings) -> tuple[RunState, int | None]:
    path, corrupt = ckpt.newest_valid_checkpoint(root)
    accelerator.wait_for_everyone()  # every process has verified before any file is moved
    if accelerator.is_main_process:
        ckpt.quarantine(corrupt)
        ckpt.remove_staging_leftovers(root)
    accelerator.wait_for_everyone()
    if path is None:
        state = RunState(micro_batch_size=settings.micro_batch_size)
    else:
        _check_same_settings(ckpt.read_state(path)["settings"], settings, root)
        document = ckpt.restore_checkpoint(path, model, optimizer, scheduler, accelerator.device)
        state = RunState.from_dict(document["run"])
        state.meta.setdefault("resumed_at_steps", []).append(state.step)
        log.info("resuming %s at step %d", root, state.step)
    if corrupt:
        state.meta.setdefault("corrupt_checkpoints", []).extend(p.name for p in corrupt)
    return state, (state.step if path is not None else None)


def _finished_outcome(root: Path, model: torch.nn.Module, settings: TrainSettings) -> TrainOutcome | None:
    """The outcome a finished run recorded in its final checkpoint, final weights loaded into ``model``."""
    path, _ = ckpt.newest_valid_checkpoint(root)
    done = ckpt.read_state(path) if path is not None else {}
    if "outcome" not in done:
        return None  # no checkpoint, or the run had not finished: resume it
    _check_same_settings(done["settings"], settings, root)
    outcome = _rooted(TrainOutcome.from_dict(done["outcome"]), root)
    ckpt.load_weights(model, outcome.final_checkpoint)
    outcome.steps_trained_this_call = 0
    return outcome


# --- stepping, evaluation, stopping ----------------------------------------------------------


def _train_step(run: Run, batch: StepBatch) -> StepResult:
    state = run.state
    run.meter.begin_step()
    result = run.runner.run(batch, state)
    if not result.finite:
        return result
    run.meter.end_step(batch.global_examples, result.real_tokens, result.padded_tokens)
    state.step += 1
    state.epoch, state.index_in_epoch = batch.epoch, batch.index_in_epoch + 1
    state.examples_seen += batch.global_examples
    state.record_loss(result.loss, run.settings.log_every)
    if state.step % run.settings.log_every == 0:
        log.info("step %d/%d loss %.4f", state.step, run.total_steps, result.loss)
    if run.hooks.progress is not None and run.accelerator.is_main_process:
        learning_rate = run.runner.scheduler.get_last_lr()[0]
        run.hooks.progress(
            StepReport(state.step, run.total_steps, batch.epoch, result.loss, learning_rate, state.examples_seen)
        )
    return result


def _mark_diverged(state: RunState, result: StepResult) -> None:
    state.status = "diverged"
    state.diverged_step = state.step + 1
    state.flush_loss()
    log.warning(
        "diverged at step %d (loss %s, grad norm %s); last finite loss %s",
        state.diverged_step,
        result.loss,
        result.grad_norm,
        state.last_finite_loss,
    )


def _evaluate_and_select(run: Run) -> None:
    state = run.state
    with run.attention.using(SDPA):
        scores = evaluate(run.hooks.eval_fn, run.model)
    state.record_scores(scores)
    improved = improved_keys(state.best, scores, run.hooks.select_on)
    for key in improved:
        if run.accelerator.is_main_process:
            path = ckpt.save_best(run.root, key, state.step, run.model, scores)
            log.info("new best %s = %.4f at step %d (%s)", key, scores[key], state.step, path.name)
        relative = str(Path("best") / key / f"step-{state.step:08d}")
        state.best[key] = BestState(key=key, step=state.step, score=scores[key], scores=scores, path=relative)
    run.accelerator.wait_for_everyone()
    state.evals_since_improvement = 0 if run.hooks.select_on[0] in improved else state.evals_since_improvement + 1


def _patience_exhausted(run: Run) -> bool:
    patience = run.settings.patience
    if patience and run.state.evals_since_improvement >= patience:
        run.state.meta["early_stopped_at_step"] = run.state.step
        log.info("early stopping at step %d: %d evaluations without improvement", run.state.step, patience)
        return True
    return False


# --- checkpoints and the end -----------------------------------------------------------------


def _save_checkpoint(run: Run, outcome: TrainOutcome | None = None) -> None:
    state = run.state
    state.meter = run.meter.carry()
    document = {"settings": run.settings.trajectory_fields(), "run": state.to_dict()}
    if outcome is not None:
        document["outcome"] = outcome.to_dict()
    runner, keep = run.runner, run.settings.keep_checkpoints
    if run.accelerator.is_main_process:
        ckpt.save_checkpoint(run.root, state.step, run.model, runner.optimizer, runner.scheduler, document, keep)
        ckpt.prune_best(run.root, _live_best_paths(run) | ckpt.best_paths_referenced(run.root))
    run.accelerator.wait_for_everyone()
    run.saved_step = state.step


def _live_best_paths(run: Run) -> set[Path]:
    return {(run.root / best.path).resolve() for best in run.state.best.values()}


def _finish(run: Run, steps_trained: int) -> TrainOutcome:
    state = run.state
    if state.status == "running":
        if run.hooks.eval_fn is not None and state.last_eval_step != state.step:
            _evaluate_and_select(run)
        state.status = "done"
    state.flush_loss()
    outcome = _outcome(run, steps_trained)
    # The final checkpoint carries the outcome (rewritten if this step was already saved): it is
    # what a later call returns at once, so a finished run has exactly one record of its end.
    _save_checkpoint(run, outcome)
    if run.accelerator.is_main_process:
        ckpt.tidy_finished(run.root, {run.root / outcome.final_checkpoint} | _live_best_paths(run))
    run.accelerator.wait_for_everyone()
    return _rooted(outcome, run.root)


def _outcome(run: Run, steps_trained: int) -> TrainOutcome:
    """The outcome with paths relative to the checkpoint folder (as the final checkpoint stores it)."""
    state = run.state
    return TrainOutcome(
        status=state.status,
        steps=state.step,
        examples_seen=state.examples_seen,
        steps_trained_this_call=steps_trained,
        curve=list(state.curve),
        best=dict(state.best),
        throughput=run.meter.result(),
        final_checkpoint=str(Path("checkpoints") / f"step-{state.step:08d}"),
        diverged_step=state.diverged_step,
        last_finite_loss=state.last_finite_loss,
        meta=dict(state.meta),
    )


def _rooted(outcome: TrainOutcome, root: Path) -> TrainOutcome:
    best = {key: replace(entry, path=str(root / entry.path)) for key, entry in outcome.best.items()}
    return replace(outcome, best=best, final_checkpoint=str(root / outcome.final_checkpoint))
