"""The training-phase plumbing shared by intermediate() and target(): features, evaluators, fit."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch

from xstilts.config import RunConfig, TargetConfig
from xstilts.data.examples import Example
from xstilts.data.splits import SplitRef
from xstilts.errors import ConfigError
from xstilts.features.batching import length_grouped_batches
from xstilts.features.collate import make_collate
from xstilts.pipeline import data
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.predict import predict, predict_pooled
from xstilts.pipeline.scoring import gold_for_file, score_in_memory, write_and_score, write_gold_file
from xstilts.results import PhaseRecord, ScoreRow
from xstilts.tasks.spec import TaskSpec
from xstilts.train.checkpoint import load_weights, weights_digest
from xstilts.train.loop import train
from xstilts.train.outcome import TrainOutcome
from xstilts.train.settings import TrainSettings


@dataclass
class Evaluator:
    fn: Callable[[torch.nn.Module], dict[str, float]]
    select_on: tuple[str, ...]


def phase_settings(settings: TrainSettings, config: RunConfig) -> TrainSettings:
    """The trial seed drives every phase, the run's `cpu_bf16` reaches every phase, and a
    micro-batch never exceeds the effective batch."""
    micro = min(settings.micro_batch_size, settings.batch_size)
    while settings.batch_size % micro:
        micro -= 1
    return settings.model_copy(update={"seed": config.seed, "micro_batch_size": micro,
                                       "bf16_on_cpu": settings.bf16_on_cpu or config.cpu_bf16})


def _dev_scorer(spec: TaskSpec, ref: SplitRef, lang: str, cap: int | None, max_length: int,
                encoder_dir: Path, labels: Sequence[str] | None, ctx: PhaseContext, guard: bool = True,
                doc_stride: int = 128):
    examples, _ = data.eval_examples(ref, lang, ctx, cap, guard=guard)
    if not examples:
        return None  # e.g. a slice past the end of a small language's file
    tokenizer = data.load_tokenizer(encoder_dir)
    fs = data.features(ctx, spec.kind, examples, tokenizer, task=spec.name, split=ref.split,
                       language=lang, max_length=max_length, labels=labels, **data.kind_options(spec.kind, doc_stride))
    pad, batch = tokenizer.pad_token_id, ctx.config.eval_batch_size

    def score(model: torch.nn.Module) -> float:
        with ctx.autocast():
            predictions = predict(model, fs, labels, pad, batch)
        return score_in_memory(spec, examples, predictions, lang)
    return score


def english_dev_evaluator(spec: TaskSpec, dev_split: str | None, cap: int | None, max_length: int,
                          encoder_dir: Path, labels: Sequence[str] | None, ctx: PhaseContext,
                          doc_stride: int = 128) -> Evaluator | None:
    if dev_split is None:
        return None
    ref = SplitRef.parse(dev_split, spec.name, "dev_split")
    score = _dev_scorer(spec, ref, "en", cap, max_length, encoder_dir, labels, ctx, guard=False, doc_stride=doc_stride)
    if score is None:
        raise ConfigError("dev_split", f"{ref} selects no English examples")
    return Evaluator(fn=lambda model: {"english_dev": score(model)}, select_on=("english_dev",))


def target_evaluator(spec: TaskSpec, cfg: TargetConfig, encoder_dir: Path,
                     labels: Sequence[str] | None, ctx: PhaseContext) -> Evaluator | None:
    """English dev (the realistic selector) and, when asked, target-language dev: the oracle of
    Keung et al. 2020, which selects on the evaluated languages themselves (an upper bound)."""
    english = english_dev_evaluator(spec, cfg.dev_split, None, cfg.max_length, encoder_dir, labels, ctx, cfg.doc_stride)
    scorers = {}
    if cfg.oracle_dev_examples:
        ref = SplitRef.parse(cfg.eval_split, spec.name, f"targets.{spec.name}.eval_split")
        langs = [lang for lang in data.available_languages(ref, ctx, cfg.languages) if lang != "en"]
        scorers = {lang: _dev_scorer(spec, ref, lang, cfg.oracle_dev_examples, cfg.max_length, encoder_dir, labels, ctx,
                                     doc_stride=cfg.doc_stride) for lang in langs}
        scorers = {lang: score for lang, score in scorers.items() if score is not None}
    if english is None and not scorers:
        return None

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        scores = dict(english.fn(model)) if english else {}
        if scorers:
            scores["target_dev"] = sum(score(model) for score in scorers.values()) / len(scorers)
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


def single_task_data(spec: TaskSpec, examples: Sequence[Example], labels: Sequence[str] | None, settings: TrainSettings,
                     max_length: int, encoder_dir: Path, ctx: PhaseContext, doc_stride: int = 128) -> TrainingData:
    tokenizer = data.load_tokenizer(encoder_dir)
    fs = data.features(ctx, spec.kind, examples, tokenizer, task=spec.name, split="train", language="en",
                       max_length=max_length, labels=labels, **data.kind_options(spec.kind, doc_stride))
    lengths = fs.lengths()
    # Length-grouped micro-batches keep padding small while the order stays random per epoch.
    order = lambda epoch, micro: length_grouped_batches(lengths, micro, seed=settings.seed, epoch=epoch)  # noqa: E731
    return TrainingData(fs, make_collate(spec.kind, tokenizer.pad_token_id), order, len(examples))


def fit(model: torch.nn.Module, task: str, training_data: TrainingData, settings: TrainSettings, out: Path,
        phase: str, key: str, evaluator: Evaluator | None, ctx: PhaseContext) -> tuple[TrainOutcome, PhaseRecord]:
    """Train with resumable checkpoints under out/ckpt; the record carries throughput and curve."""
    start = time.perf_counter()
    report = lambda r: ctx.report(event="step", phase=phase, task=task, step=r.step, total=r.total_steps, loss=r.loss)  # noqa: E731
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
              "curve": curve, **outcome.meta},
    )
    return outcome, record


def load_best(model: torch.nn.Module, outcome: TrainOutcome, selection: str) -> None:
    """Best weights for a selection key; without a dev set the final weights stay loaded."""
    if selection in outcome.best:
        load_weights(model, outcome.best[selection].path)


def predict_languages(artifact, spec: TaskSpec, cfg: TargetConfig, out: Path, ctx: PhaseContext) -> tuple[list[ScoreRow], dict]:
    """Every evaluated language × every selected model: XTREME files written, then scored."""
    from xstilts.pipeline.phases import _task_model

    ref = SplitRef.parse(cfg.eval_split, spec.name, f"targets.{spec.name}.eval_split")
    tokenizer = data.load_tokenizer(artifact.encoder.path)
    sets, counts, excluded = {}, {}, {}
    for lang in data.available_languages(ref, ctx, cfg.languages):
        examples, excluded[lang] = data.eval_examples(ref, lang, ctx, cfg.max_eval_examples)
        if not examples:
            continue
        counts[lang] = len(examples)
        write_gold_file(spec, lang, gold_for_file(spec, examples), out / "gold")
        sets[lang] = data.features(ctx, spec.kind, examples, tokenizer, task=spec.name, split=ref.split,
                                   language=lang, max_length=cfg.max_length, labels=artifact.labels,
                                   **data.kind_options(spec.kind, cfg.doc_stride))
    model = _task_model(artifact.encoder.path, spec.kind, artifact.labels, ctx)
    rows, done = [], {}
    for selection, weights in artifact.weights.items():
        # English-dev and oracle selection often pick the same step: identical weights give
        # identical predictions, so they are computed once and written under both names.
        digest = weights_digest(Path(weights))
        if digest not in done and sets:
            load_weights(model, weights)
            ctx.report(event="eval", phase="zero_shot", task=spec.name, language=",".join(sets), selection=selection)
            with ctx.autocast():
                done[digest] = predict_pooled(model, sets, artifact.labels, tokenizer.pad_token_id, ctx.config.eval_batch_size)
        for lang in sets:
            rows.append(write_and_score(spec, lang, done[digest][lang], out / selection, out / "gold", selection))
    return rows, {"eval_examples": counts, "excluded_trained_lines": excluded, "eval_split": str(ref),
                  "distinct_weights_evaluated": len(done)}
