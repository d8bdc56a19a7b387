"""Fitting a phase: the training data, the dev-set evaluators and the call into the training loop
(shared by intermediate() and target()). The loop itself is xstilts.train."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch

from xstilts.data.examples import Example
from xstilts.features.batching import length_grouped_batches
from xstilts.features.collate import make_collate
from xstilts.pipeline import inputs
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.graph import PhaseNode
from xstilts.pipeline.predict import predict
from xstilts.pipeline.reads import SplitRead, load_examples
from xstilts.pipeline.scoring import score_in_memory
from xstilts.results import PhaseRecord
from xstilts.tasks.spec import TaskSpec
from xstilts.train.checkpoint import load_weights
from xstilts.train.loop import train
from xstilts.train.outcome import TrainOutcome
from xstilts.train.settings import TrainSettings


@dataclass
class Evaluator:
    fn: Callable[[torch.nn.Module], dict[str, float]]
    select_on: tuple[str, ...]


@dataclass(frozen=True)
class Geometry:
    """How a phase cuts its examples into model inputs."""

    max_length: int
    doc_stride: int = 128  # extractive QA: token overlap between windows of a long context


def _read_scorer(spec: TaskSpec, read: SplitRead, *, geometry: Geometry, encoder_dir: Path,
                 labels: Sequence[str] | None, ctx: PhaseContext) -> Callable[[torch.nn.Module], float]:
    """Score a model on exactly the examples of one graph read (a dev set), in memory."""
    examples = load_examples(read, ctx.data_dir)
    tokenizer = inputs.load_tokenizer(encoder_dir)
    fs = inputs.features(ctx, spec.kind, examples, tokenizer, task=spec.name, split=read.ref.split,
                       language=read.language, max_length=geometry.max_length, labels=labels,
                       **inputs.kind_options(spec.kind, geometry.doc_stride))
    pad, batch = tokenizer.pad_token_id, ctx.config.eval_batch_size

    def score(model: torch.nn.Module) -> float:
        with ctx.autocast():
            predictions = predict(model, fs, labels, pad, batch)
        return score_in_memory(spec, examples, predictions, read.language)
    return score


def english_dev_evaluator(spec: TaskSpec, reads: Sequence[SplitRead], *, geometry: Geometry, encoder_dir: Path,
                          labels: Sequence[str] | None, ctx: PhaseContext) -> Evaluator | None:
    if not reads:
        return None
    score = _read_scorer(spec, reads[0], geometry=geometry, encoder_dir=encoder_dir, labels=labels, ctx=ctx)
    return Evaluator(fn=lambda model: {"english_dev": score(model)}, select_on=("english_dev",))


def target_evaluator(spec: TaskSpec, reads: Sequence[SplitRead], oracle: Sequence[SplitRead], *, geometry: Geometry,
                     encoder_dir: Path,
                     labels: Sequence[str] | None, ctx: PhaseContext) -> Evaluator | None:
    """English dev (the realistic selector) and, when asked, target-language dev: the oracle of
    Keung et al. 2020, which selects on the evaluated languages themselves (an upper bound)."""
    options = {"geometry": geometry, "encoder_dir": encoder_dir, "labels": labels, "ctx": ctx}
    english = english_dev_evaluator(spec, reads, **options)
    scorers = [_read_scorer(spec, read, **options) for read in oracle]
    if english is None and not scorers:
        return None

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        scores = dict(english.fn(model)) if english else {}
        if scorers:
            scores["target_dev"] = sum(score(model) for score in scorers) / len(scorers)
        return scores

    select_on = (("english_dev",) if english else ()) + (("target_dev",) if scorers else ())
    return Evaluator(fn=evaluate, select_on=select_on)


@dataclass
class TrainingData:
    """What the loop trains on: a dataset of feature rows, its collate and its batch order."""

    dataset: Sequence[dict]
    collate: Callable[[list[dict]], dict]
    order: Callable[[int, int], list[list[int]]]
    examples: int


def single_task_data(spec: TaskSpec, examples: Sequence[Example], *, labels: Sequence[str] | None, settings: TrainSettings,
                     geometry: Geometry, encoder_dir: Path, ctx: PhaseContext) -> TrainingData:
    tokenizer = inputs.load_tokenizer(encoder_dir)
    fs = inputs.features(ctx, spec.kind, examples, tokenizer, task=spec.name, split="train", language="en",
                       max_length=geometry.max_length, labels=labels, **inputs.kind_options(spec.kind, geometry.doc_stride))
    lengths = fs.lengths()
    # Length-grouped micro-batches keep padding small while the order stays random per epoch.
    order = lambda epoch, micro: length_grouped_batches(lengths, micro, seed=settings.seed, epoch=epoch)  # noqa: E731
    return TrainingData(fs, make_collate(spec.kind, tokenizer.pad_token_id), order, len(examples))


def fit(model: torch.nn.Module, training_data: TrainingData, *, settings: TrainSettings, out: Path,
        node: PhaseNode, evaluator: Evaluator | None, ctx: PhaseContext) -> tuple[TrainOutcome, PhaseRecord]:
    """Train with resumable checkpoints under out/ckpt; the record carries throughput and curve."""
    phase, task, key = node.phase, node.task, node.key
    start = time.perf_counter()
    report = lambda r: ctx.report(event="step", phase=phase, task=task, step=r.step, total=r.total_steps,  # noqa: E731
                                  loss=r.loss, learning_rate=r.learning_rate, examples=r.examples_seen)
    outcome = train(model, training_data.dataset, training_data.collate, settings,
                    checkpoint_dir=out / "ckpt", eval_fn=evaluator.fn if evaluator else None,
                    batch_order=training_data.order, progress=report,
                    select_on=evaluator.select_on if evaluator else ("score",))
    curve = [{"step": p.step, "train_loss": p.train_loss,
              "dev_score": (p.scores or {}).get(evaluator.select_on[0]) if evaluator else None} for p in outcome.curve]
    record = PhaseRecord(
        key=key, phase=phase, task=task, computed=True, status=outcome.status,
        seconds=time.perf_counter() - start, throughput=outcome.throughput,
        meta={"train_examples": training_data.examples, "train_features": len(training_data.dataset), "steps": outcome.steps,
              "steps_trained_this_call": outcome.steps_trained_this_call,
              "diverged_step": outcome.diverged_step, "last_finite_loss": outcome.last_finite_loss,
              "best": {k: {"step": b.step, "score": b.score} for k, b in outcome.best.items()},
              "curve": curve, **outcome.meta,
              # Examples the overlap guard left out of the training/selection reads (overlap: drop).
              "overlap_dropped": {str(r): r.dropped for r in (*node.trains_on, *node.selects_on) if r.dropped}},
    )
    return outcome, record


def load_best(model: torch.nn.Module, outcome: TrainOutcome, selection: str) -> None:
    """Best weights for a selection key; without a dev set the final weights stay loaded."""
    if selection in outcome.best:
        load_weights(model, outcome.best[selection].path)
