"""Calibrate the planner: time a few optimizer steps of one phase on the actual model and data.

Runs the real training loop (``xstilts.train.loop.train``) for one warm-up step plus
``steps`` timed steps on a seeded sample of the phase's own training examples, with the
phase's batch geometry (batch size, micro-batch, max length, length-grouped batches), and
reads the loop's own throughput meter. The base encoder stands in for an intermediate
checkpoint that does not exist yet: weights do not change the time of a step.
"""

from __future__ import annotations

import random
import tempfile
from typing import Any

import torch

from xstilts.config import RunConfig
from xstilts.data.splits import SplitRef
from xstilts.features.batching import length_grouped_batches
from xstilts.features.collate import make_collate
from xstilts.models.encoder_io import freeze_word_embeddings, load_encoder
from xstilts.models.sources import resolve_model_source
from xstilts.models.task_model import build_task_model
from xstilts.pipeline import data
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.training import phase_settings
from xstilts.tasks.registry import get_task
from xstilts.train.loop import train
from xstilts.train.settings import TrainSettings

WARMUP_STEPS = 1  # allocator warm-up and kernel selection, left out of the rate


def _phase_inputs(config: RunConfig, plan: Any) -> tuple[SplitRef, TrainSettings, int]:
    """The training split, settings and max length of the phase ``plan`` describes."""
    if plan.phase == "intermediate":
        inter = config.intermediate
        return SplitRef.parse(inter.train_split, plan.task, "intermediate.train_split"), inter.train, inter.max_length
    target = config.targets[plan.task]
    text = target.train_split or get_task(plan.task).english_train
    return SplitRef.parse(text, plan.task, f"targets.{plan.task}.train_split"), target.train, target.max_length


def _timing_settings(settings: TrainSettings, steps: int) -> TrainSettings:
    return settings.model_copy(update={
        "max_steps": WARMUP_STEPS + steps, "epochs": WARMUP_STEPS + steps, "throughput_warmup_steps": WARMUP_STEPS,
        "eval_every": None, "patience": None, "max_train_examples": None,
        "checkpoint_every": WARMUP_STEPS + steps,
    })


def measure_step_time(config: RunConfig, phase_plan: Any, steps: int = 3) -> float:
    """Seconds per optimizer step of the phase, measured over ``steps`` steps after a warm-up."""
    if config.threads:  # time steps the way the trial will run them
        torch.set_num_threads(config.threads)
    ctx = PhaseContext.from_config(config)
    ref, train_settings, max_length = _phase_inputs(config, phase_plan)
    settings = phase_settings(train_settings, config)
    spec = get_task(phase_plan.task)
    encoder_dir = resolve_model_source(config.model.source, ctx.cache_dir)
    examples = data.training_examples(ref, ctx, "calibration")
    labels = data.label_list(spec.name, examples)
    wanted = min((WARMUP_STEPS + steps) * settings.batch_size, len(examples))
    sample = random.Random(config.seed).sample(examples, wanted)
    tokenizer = data.load_tokenizer(encoder_dir)
    features = data.features(ctx, spec.kind, sample, tokenizer, task=spec.name, split=ref.split, language="en",
                             max_length=max_length, labels=labels)
    encoder = load_encoder(encoder_dir)
    if config.model.freeze_word_embeddings:
        freeze_word_embeddings(encoder)
    model = build_task_model(encoder, spec.kind, len(labels) if labels else None)
    lengths = features.lengths()
    order = lambda epoch, micro: length_grouped_batches(lengths, micro, seed=settings.seed, epoch=epoch)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="xstilts-calibrate-") as scratch:
        outcome = train(model, features, make_collate(spec.kind, tokenizer.pad_token_id),
                        _timing_settings(settings, steps), checkpoint_dir=scratch, batch_order=order)
    if not outcome.throughput.steps_per_s:
        raise RuntimeError(f"calibration of {phase_plan.phase} {phase_plan.task} timed no steps")
    return 1.0 / outcome.throughput.steps_per_s
