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
from xstilts.features.batching import length_grouped_batches
from xstilts.features.collate import make_collate
from xstilts.models.encoder_io import freeze_word_embeddings, load_encoder
from xstilts.models.task_model import build_task_model
from xstilts.pipeline import inputs
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.graph import TrialGraph, phase_settings
from xstilts.pipeline.reads import SplitRead, load_examples
from xstilts.pipeline.fitting import Geometry
from xstilts.tasks.registry import get_task
from xstilts.train.loop import train
from xstilts.train.settings import TrainSettings

WARMUP_STEPS = 1  # allocator warm-up and kernel selection, left out of the rate


def _phase_inputs(graph: TrialGraph, node: Any) -> tuple[SplitRead, TrainSettings, Geometry]:
    """The training read, settings and geometry of the phase ``node`` describes."""
    config = graph.config
    if node.phase == "intermediate":
        inter = config.intermediate
        return node.trains_on[0], inter.train, Geometry(inter.max_length, inter.doc_stride)
    target = config.targets[node.task]
    return node.trains_on[0], target.train, Geometry(target.max_length, target.doc_stride)


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
    graph = TrialGraph.build(config)
    ctx = PhaseContext.for_graph(graph)
    node = graph.node(phase_plan.phase, phase_plan.task)
    read, train_settings, geometry = _phase_inputs(graph, node)
    settings = phase_settings(train_settings, config)
    spec = get_task(read.ref.task)  # a mixture is timed on its first task
    encoder_dir = graph.model_dir
    examples = load_examples(read, ctx.data_dir)
    labels = inputs.label_list(spec.name, examples)
    wanted = min((WARMUP_STEPS + steps) * settings.batch_size, len(examples))
    sample = random.Random(config.seed).sample(examples, wanted)
    tokenizer = inputs.load_tokenizer(encoder_dir)
    features = inputs.features(ctx, spec.kind, sample, tokenizer, task=spec.name, split=read.ref.split, language="en",
                             max_length=geometry.max_length, labels=labels, **inputs.kind_options(spec.kind, geometry.doc_stride))
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
