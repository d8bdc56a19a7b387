"""Zero-shot evaluation of one task over all its languages: xstilts ``predict_pooled`` vs ``Trainer.predict``.

Both sides run the same model (same weights, eval mode) over the same tokenized lines of every
language and turn logits into labels. xstilts sorts the rows of all languages by length together
(as the pipeline's zero-shot phase does) and pads each batch to its longest; the Trainer side
goes language by language and pads every row to the maximum length as run_xnli.py does by default. Tokenizing (and run_xnli's padding, done in its
preprocessing step) is outside the timing on both sides; building the Trainer is too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from transformers import default_data_collator

from benchmarks.hf_baseline import padded_to_max_length, trainer_flops_per_example, trainer_predictor, work_ceiling
from benchmarks.mfu import PeakWindow, forward_flops, mfu, mfu_sentence
from benchmarks.stats import FigureResult, Target, paired_ratios, summarize
from benchmarks.timing import run_interleaved, timed
from benchmarks.workloads import (
    ENCODER_NAMES,
    Scale,
    encoder_dir,
    featurize_examples,
    load_tokenizer,
    read_examples,
    task_model,
)
from xstilts.pipeline.predict import predict, predict_pooled
from xstilts.tasks.registry import get_task

ZERO_SHOT_TASK = "pawsx"
ZERO_SHOT_SPLIT = "dev"
MAX_LENGTH = 128
ZERO_SHOT_TARGET = Target(">=", 2.0)


def language_features(tokenizer, lines: int) -> dict:
    spec = get_task(ZERO_SHOT_TASK)
    return {
        lang: featurize_examples(
            ZERO_SHOT_TASK, read_examples(ZERO_SHOT_TASK, ZERO_SHOT_SPLIT, lang, lines), tokenizer, MAX_LENGTH
        )
        for lang in spec.languages
    }


def without_labels(row: dict) -> dict:
    return {name: value for name, value in row.items() if name != "labels"}


def set_forward_flops(model, sets: dict) -> float:
    """Model FLOPs of one forward pass over every row of every language (real tokens only)."""
    return forward_flops(model, [n for fs in sets.values() for n in fs.lengths()])


def _median_mfu(seconds: dict[str, list[float]], flops: float, windows: dict[str, PeakWindow]) -> dict[str, float]:
    return {side: mfu(flops / float(np.median(values)), windows[side]) for side, values in seconds.items()}


def agreement(first: dict[str, list], second: dict[str, list]) -> float:
    """Share of predictions the two sides agree on: both must have computed the same thing."""
    pairs = [(a, b) for lang in first for a, b in zip(first[lang], second[lang], strict=True)]
    return sum(a == b for a, b in pairs) / len(pairs)


def trainer_rows(tokenizer, sets: dict) -> dict[str, list[dict]]:
    """Each language's rows as run_xnli feeds Trainer.predict: padded to the maximum length."""
    return {
        lang: padded_to_max_length([without_labels(fs[i]) for i in range(len(fs))], tokenizer, MAX_LENGTH)
        for lang, fs in sets.items()
    }


def _timed_runs(scale: Scale, model, tokenizer, sets: dict, padded: dict[str, list[dict]]) -> list[dict]:
    """Per repetition: {side: (seconds, predictions by language)}."""
    labels = get_task(ZERO_SHOT_TASK).labels
    batch, pad_id = scale.eval_batch_size, tokenizer.pad_token_id

    def ours() -> dict:  # the pipeline's zero-shot pass: every language sorted and batched together
        return predict_pooled(model, sets, labels, pad_id, batch)

    with tempfile.TemporaryDirectory(prefix="trainer-bench-") as output:
        trainer = trainer_predictor(model, batch, Path(output))

        def theirs() -> dict:
            return {
                lang: [labels[i] for i in trainer.predict(rows).predictions.argmax(-1)] for lang, rows in padded.items()
            }

        sides = {"xstilts": lambda: timed(ours), "trainer": lambda: timed(theirs)}
        return [run_interleaved(sides, repetition) for repetition in range(scale.repetitions)]


def zero_shot_figure(scale: Scale, encoder: str, lines: int) -> FigureResult:
    directory = encoder_dir(encoder)
    tokenizer = load_tokenizer(directory)
    model = task_model(directory, "pair_classification", len(get_task(ZERO_SHOT_TASK).labels))
    sets = language_features(tokenizer, lines)
    padded = trainer_rows(tokenizer, sets)
    window = PeakWindow.start("fp32")  # both sides predict in fp32
    runs = _timed_runs(scale, model, tokenizer, sets, padded)
    window.end()
    ours_s, theirs_s = [r["xstilts"][0] for r in runs], [r["trainer"][0] for r in runs]
    real_flops = set_forward_flops(model, sets)
    mfus = _median_mfu({"xstilts": ours_s, "Trainer": theirs_s}, real_flops, {"xstilts": window, "Trainer": window})
    all_rows = [row for rows in padded.values() for row in rows]
    ceiling, ceiling_text = work_ceiling(
        trainer_flops_per_example(model, all_rows, default_data_collator, scale.eval_batch_size, training=False),
        real_flops / len(all_rows))
    setup = (
        f"seconds for all {len(sets)} languages (first {lines} {ZERO_SHOT_SPLIT} lines each), "
        f"Trainer.predict per language (rows padded to {MAX_LENGTH} as run_xnli) / xstilts predict_pooled "
        f"(all languages length-sorted together, dynamic padding); eval batch {scale.eval_batch_size}; "
        f"{ENCODER_NAMES[encoder]}; {torch.get_num_threads()} threads; "
        f"median s xstilts {np.median(ours_s):.2f}, Trainer {np.median(theirs_s):.2f}; "
        f"predictions agree on {100 * agreement(runs[0]['xstilts'][1], runs[0]['trainer'][1]):.1f} %; "
        f"{mfu_sentence(mfus, [window])}; {ceiling_text}"
    )
    return FigureResult(
        name=f"zero-shot evaluation vs Trainer.predict — {ZERO_SHOT_TASK} ({len(sets)} languages × {lines}), {encoder}",
        spread=summarize(paired_ratios(theirs_s, ours_s)),
        unit="x",
        target=ZERO_SHOT_TARGET,
        setup=setup,
        details={"xstilts_s": ours_s, "trainer_s": theirs_s, "work_ceiling": ceiling},
        mfu=mfus,
    )


def zero_shot_figures(scale: Scale) -> list[FigureResult]:
    return [zero_shot_figure(scale, encoder, lines) for encoder, lines in scale.zero_shot]


def cpu_bf16_eval_speedup(scale: Scale) -> list[FigureResult]:
    """xstilts predict under bf16 autocast / fp32 on this CPU, over the zero-shot workload."""
    if torch.cuda.is_available():
        return []
    encoder, lines = scale.zero_shot[-1]
    directory = encoder_dir(encoder)
    tokenizer = load_tokenizer(directory)
    model = task_model(directory, "pair_classification", len(get_task(ZERO_SHOT_TASK).labels))
    sets, labels = language_features(tokenizer, lines), get_task(ZERO_SHOT_TASK).labels

    def predict_all(bf16: bool) -> dict:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return {lang: predict(model, fs, labels, tokenizer.pad_token_id, scale.eval_batch_size) for lang, fs in sets.items()}

    windows = {dtype: PeakWindow.start(dtype) for dtype in ("bf16", "fp32")}
    runs = [run_interleaved({"bf16": lambda: timed(lambda: predict_all(True)),
                             "fp32": lambda: timed(lambda: predict_all(False))}, repetition)
            for repetition in range(scale.repetitions)]
    for window in windows.values():
        window.end()
    bf16_s, fp32_s = [r["bf16"][0] for r in runs], [r["fp32"][0] for r in runs]
    mfus = _median_mfu({"bf16": bf16_s, "fp32": fp32_s}, set_forward_flops(model, sets), windows)
    setup = (
        f"seconds for xstilts predict over {len(sets)} languages × {lines} {ZERO_SHOT_TASK} lines in fp32 / under "
        f"bf16 autocast (the run config's cpu_bf16); eval batch {scale.eval_batch_size}; {ENCODER_NAMES[encoder]}; "
        f"{torch.get_num_threads()} threads; median s bf16 {np.median(bf16_s):.2f}, fp32 {np.median(fp32_s):.2f}; "
        f"predictions agree on {100 * agreement(runs[0]['bf16'][1], runs[0]['fp32'][1]):.1f} %; "
        f"{mfu_sentence(mfus, list(windows.values()))}"
    )
    return [FigureResult(
        name=f"CPU bf16 autocast speed-up, zero-shot evaluation — {ZERO_SHOT_TASK}, {encoder}",
        spread=summarize(paired_ratios(fp32_s, bf16_s)),
        unit="x",
        target=None,
        setup=setup,
        details={"bf16_s": bf16_s, "fp32_s": fp32_s},
        mfu=mfus,
    )]
